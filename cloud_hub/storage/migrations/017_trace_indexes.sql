-- Trace (cloud_hub/trace, docs/trace.md): find every move, unit, balance and pick of a lot
-- without scanning a SKU's whole history. Numbered 017, two above the highest seen when it
-- was written (015 was in flight for the lot master), so two branches never take one number.
--
-- A lot's item moves (receipts, putaways, picks, packing into and out of units, shipments).
-- Partial: most moves of an unlotted SKU have no lot and cost the apply path nothing here.
CREATE INDEX IF NOT EXISTS moves_lot ON moves (lot, sku, occurred_at)
    WHERE lot IS NOT NULL AND lot <> '';
-- Units that arrived holding a lot: the contents a unit move declared live only in its
-- payload (migration 008). Only unit moves (no item) that kept a payload are indexed; the
-- query repeats this expression and predicate (trace/pg/queries.py). fastupdate off: with
-- GIN's pending list a lookup read every recent entry linearly until vacuum merged them
-- (9 ms instead of 0.1 ms a lookup at 1M moves); the few unit moves that declare contents
-- pay their index entry at insert time instead.
CREATE INDEX IF NOT EXISTS moves_declared_contents ON moves
    USING gin (((payload->'contents')::jsonb) jsonb_path_ops) WITH (fastupdate = off)
    WHERE unit_key IS NOT NULL AND sku IS NULL AND payload IS NOT NULL;
-- Where a lot is now: balances by lot (the primary key leads with the location). Neither
-- column changes on a balance update, so updates stay HOT (migration 004).
CREATE INDEX IF NOT EXISTS balances_lot ON balances (lot, sku) WHERE lot <> '';
-- (work_picks by lot is 106_work_picks_lot.sql: the work tables come after this file.)
