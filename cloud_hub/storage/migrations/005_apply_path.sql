-- The apply path writes every event's rows; keep only what pays for itself there.
--
-- Balances and units no longer carry a foreign key to locations: the ledger core already
-- rejects a move naming an unknown or foreign location (kept in rejected_moves), and the
-- per-row key-share lock the foreign key took on `locations` cost a third of the balance
-- upsert. Locations are deleted only through catalog.remove_location, which takes the
-- ledger's global lock exclusively and refuses a location that holds stock or history.
ALTER TABLE balances DROP CONSTRAINT IF EXISTS balances_location_fkey;
ALTER TABLE units DROP CONSTRAINT IF EXISTS units_location_fkey;

-- event_ids is only the exactly-once gate: the outcome of an event is its row in moves or
-- rejected_moves. Without the column, the gate is one INSERT .. ON CONFLICT DO NOTHING.
ALTER TABLE event_ids DROP COLUMN IF EXISTS outcome;

-- Moves arrive close to time order, so a BRIN index answers time ranges for a fraction of
-- a B-tree's insert cost; per-warehouse time ranges keep their B-tree.
DROP INDEX IF EXISTS moves_time;
CREATE INDEX moves_time_brin ON moves USING brin (occurred_at) WITH (pages_per_range = 32);
