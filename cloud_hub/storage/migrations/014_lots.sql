-- Lots: SKU + lot -> expiry and first receipt, the one source FEFO picking and expiry alerts
-- read (cloud_hub/storage/lots.py), the seed of a lot master. A projection of `moves`, like
-- demand_daily: lots_state.through_seq says which moves it holds; the apply path never
-- writes here. It is filled from the moves on the first refresh (receipts' expiries were in
-- work_lots before; every receive move carries them too).

CREATE TABLE lots (
    sku           text NOT NULL,
    lot           text NOT NULL,
    expiry        date,              -- the earliest expiry any event reported (NULL: none)
    first_seen_at timestamptz NOT NULL,  -- occurred_at of the first move that named it
    received_at   timestamptz,       -- its first receipt: FIFO among equal expiries
    PRIMARY KEY (sku, lot)
);
CREATE INDEX lots_expiry ON lots (expiry) WHERE expiry IS NOT NULL;

-- Every distinct expiry an event gave a lot, with the first event that said so. Two rows
-- for one lot are a conflict: kept for someone to resolve, never silently written over.
CREATE TABLE lot_expiry_reports (
    sku         text NOT NULL,
    lot         text NOT NULL,
    expiry      date NOT NULL,
    first_event uuid NOT NULL,
    first_seq   bigint NOT NULL,
    occurred_at timestamptz NOT NULL,
    PRIMARY KEY (sku, lot, expiry)
);

CREATE VIEW lot_expiry_conflicts AS
SELECT sku, lot, array_agg(expiry ORDER BY expiry) AS expiries,
       array_agg(first_event ORDER BY expiry) AS events
  FROM lot_expiry_reports GROUP BY sku, lot HAVING count(*) > 1;

CREATE TABLE lots_state (
    one             boolean PRIMARY KEY DEFAULT true CHECK (one),
    through_seq     bigint NOT NULL DEFAULT 0,
    pending_seq     bigint,
    pending_writers text[],
    refreshed_at    timestamptz
);
INSERT INTO lots_state DEFAULT VALUES;
