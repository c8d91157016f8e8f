-- Trace (cloud_hub/trace): which orders a lot was picked for, without reading every pick.
-- Numbered 106, two above the highest work migration seen when it was written.
CREATE INDEX IF NOT EXISTS work_picks_lot ON work_picks (sku, lot);
