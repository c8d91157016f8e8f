-- Nearly half of all moves have no from_location (receipts) and some no to_location
-- (shipments): index only the places that exist. `WHERE from_location = $1` (never NULL)
-- still uses them; the apply path writes one index entry fewer per receipt.
DROP INDEX IF EXISTS moves_from;
DROP INDEX IF EXISTS moves_to;
CREATE INDEX moves_from ON moves (from_location, occurred_at) WHERE from_location IS NOT NULL;
CREATE INDEX moves_to ON moves (to_location, occurred_at) WHERE to_location IS NOT NULL;
