-- The event as received is kept as `json` (its text, checked to be JSON), not `jsonb`: the
-- apply path wrote every payload through jsonb's parser and tree builder, about a tenth of
-- PostgreSQL's CPU per event (replaying the 200k bench's write plans: 59-64 us/event with
-- jsonb, 51-57 with json, three interleaved pairs). Nothing indexes or searches payloads on
-- the hot path; readers that need jsonb operators cast (`(payload->'contents')::jsonb`).
-- On an existing ledger this rewrites both tables once.
ALTER TABLE moves ALTER COLUMN payload TYPE json USING payload::json;
ALTER TABLE rejected_moves ALTER COLUMN payload TYPE json USING payload::json;
