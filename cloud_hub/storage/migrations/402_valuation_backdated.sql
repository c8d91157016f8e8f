-- Back-dated moves (cloud_hub/valuation/pg/projection.py): a warehouse/SKU whose new move is
-- dated before the latest one it has valued is valued again from its moves in date order, and
-- the revaluation is recorded so reports of the periods it changed can say so.
ALTER TABLE valuation_holdings ADD COLUMN last_at timestamptz;  -- latest occurred_at valued

CREATE TABLE valuation_revaluations (
    warehouse    text NOT NULL,
    sku          text NOT NULL,
    from_at      timestamptz NOT NULL,  -- the earliest back-dated move: values from here changed
    move_seq     bigint NOT NULL,       -- the move that caused it
    revalued_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX valuation_revaluations_pair ON valuation_revaluations (warehouse, sku, from_at);
