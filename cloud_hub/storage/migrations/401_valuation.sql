-- Inventory valuation (cloud_hub/valuation): a projection that follows `moves` in seq order
-- after commit, like demand_daily, in its own transactions; the apply path never touches it.
--
-- Everything here holds exactly the moves with seq <= valuation_state.through_seq: the
-- watermark moves in the same transaction as the rows it covers.

CREATE TABLE valuation_state (
    one             boolean PRIMARY KEY DEFAULT true CHECK (one),
    through_seq     bigint NOT NULL DEFAULT 0,
    pending_seq     bigint,
    pending_writers text[],
    refreshed_at    timestamptz,
    method          text CHECK (method IN ('fifo', 'avco')),  -- fixed by the first refresh
    base_currency   text,
    inflows         bigint NOT NULL DEFAULT 0  -- layers numbered so far (ties in FIFO order)
);
INSERT INTO valuation_state DEFAULT VALUES;

-- One row per warehouse/SKU ever valued: the last unit cost it saw (for estimates).
CREATE TABLE valuation_holdings (
    warehouse       text NOT NULL,
    sku             text NOT NULL,
    last_unit_cost  numeric,
    updated_seq     bigint NOT NULL,
    PRIMARY KEY (warehouse, sku)
);
CREATE INDEX valuation_holdings_sku ON valuation_holdings (sku, updated_seq);

-- The open cost layers: FIFO layers, or one pool row per warehouse/SKU under moving average.
-- Never negative: stock that left beyond them is a shortfall, below.
CREATE TABLE valuation_layers (
    warehouse    text NOT NULL,
    sku          text NOT NULL,
    received_at  timestamptz NOT NULL,
    inflow       bigint NOT NULL,
    quantity     numeric NOT NULL CHECK (quantity > 0),
    value        numeric NOT NULL CHECK (value >= 0),
    PRIMARY KEY (warehouse, sku, received_at, inflow)
);

-- Goods that left beyond the valued quantity, valued at an estimate; settled by later arrivals.
CREATE TABLE valuation_shortfalls (
    warehouse  text NOT NULL,
    sku        text NOT NULL,
    position   integer NOT NULL,
    quantity   numeric NOT NULL CHECK (quantity > 0),
    value      numeric NOT NULL CHECK (value >= 0),
    bucket     text NOT NULL CHECK (bucket IN ('cogs', 'adjustments')),
    PRIMARY KEY (warehouse, sku, position)
);

-- The value ledger: what each move did to each warehouse/SKU (lot kept for reports), in
-- base-currency cents. Stock value at any time is the sum of the entries up to it.
CREATE TABLE valuation_entries (
    move_seq     bigint NOT NULL,
    occurred_at  timestamptz NOT NULL,
    warehouse    text NOT NULL,
    sku          text NOT NULL,
    lot          text NOT NULL DEFAULT '',
    kind         text NOT NULL,
    quantity     numeric NOT NULL,
    value        numeric NOT NULL,
    cogs         numeric NOT NULL DEFAULT 0,
    adjustments  numeric NOT NULL DEFAULT 0
);
CREATE INDEX valuation_entries_time ON valuation_entries (warehouse, occurred_at);
CREATE INDEX valuation_entries_sku ON valuation_entries (warehouse, sku, occurred_at);
CREATE INDEX valuation_entries_seq ON valuation_entries (move_seq);

-- What a person should look at: receipts without a cost, issues beyond the valued quantity,
-- moves the valuation refused.
CREATE TABLE valuation_reviews (
    move_seq   bigint NOT NULL,
    warehouse  text NOT NULL,
    sku        text NOT NULL,
    quantity   numeric NOT NULL,
    unit_cost  numeric NOT NULL,
    reason     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX valuation_reviews_warehouse ON valuation_reviews (warehouse, move_seq);
