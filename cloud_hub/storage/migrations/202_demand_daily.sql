-- Daily outbound demand per SKU × warehouse, kept up to date from `moves` by the planning
-- service (cloud_hub/planning/demand_daily.py), never by the ledger apply path.
--
-- demand_daily holds every move with seq <= demand_daily_state.through_seq, and no other:
-- the watermark moves in the same transaction as the rows it covers. Planning reads a year as
-- ~days × series narrow rows here instead of scanning and joining a year of moves.
-- Series are numbered in demand_series so a row is three fixed-width numbers and a quantity.

CREATE TABLE demand_series (
    id         integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    warehouse  text NOT NULL,
    sku        text NOT NULL,
    UNIQUE (warehouse, sku)
);

CREATE TABLE demand_daily (
    series    integer NOT NULL,                -- demand_series.id (no foreign key: one writer)
    day       date NOT NULL,                 -- UTC calendar day of occurred_at
    quantity  numeric NOT NULL,              -- exact, like moves.quantity
    lines     integer NOT NULL,              -- demand moves (or pallet content lines) that day
    -- Day first: new days are appended at the end of the key, as they are to the table.
    PRIMARY KEY (day, series)
) WITH (fillfactor = 90);                    -- room to update today's rows in place

CREATE TABLE demand_daily_state (
    one            boolean PRIMARY KEY DEFAULT true CHECK (one),
    through_seq    bigint NOT NULL DEFAULT 0,    -- every move with seq <= this is counted
    -- A sequence bound taken while some writers were still open: it becomes the watermark
    -- once none of those transactions (virtual ids, pg_locks) holds moves any more.
    pending_seq     bigint,
    pending_writers text[],
    refreshed_at   timestamptz
);
INSERT INTO demand_daily_state DEFAULT VALUES;

-- A readable view of the aggregate for people and reports.
CREATE VIEW demand_daily_by_sku AS
SELECT s.warehouse, s.sku, d.day, d.quantity, d.lines
  FROM demand_daily d JOIN demand_series s ON s.id = d.series;
