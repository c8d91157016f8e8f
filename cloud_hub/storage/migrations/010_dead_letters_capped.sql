-- A dead letter keeps at most HUB_DEAD_LETTER_MAX_BYTES of what came (a prefix) and always
-- its size and SHA-256, so a 10 MB payload costs the database a bounded row and can still be
-- recognised. NULL size and hash (rows from before, or written by hand) mean `raw` is whole:
-- read them as COALESCE(raw_size, octet_length(raw)), COALESCE(raw_sha256, sha256(raw)).
-- `replayed_at`/`replay` record a supervisor's replay of a dead letter's good events
-- (POST /api/v1/dead-letters/{id}/replay).
ALTER TABLE dead_letters ADD COLUMN IF NOT EXISTS raw_size bigint;
ALTER TABLE dead_letters ADD COLUMN IF NOT EXISTS raw_sha256 bytea;
ALTER TABLE dead_letters ADD COLUMN IF NOT EXISTS replayed_at timestamptz;
ALTER TABLE dead_letters ADD COLUMN IF NOT EXISTS replay jsonb;
