-- Recall lifecycle (issue 21): a `recalled` stock status (not pickable, not ATP, shown as
-- such) beside available / quarantine / damaged, and the recalls themselves: what was
-- recalled (a lot, or a list of serials), why, by whom, and how it ended (released back to
-- available, or scrapped out of stock). The holds, releases and scraps are ledger moves
-- (task `recall:<id>`); these rows only name the recall and its state, they never hold stock.

ALTER TABLE balances DROP CONSTRAINT IF EXISTS balances_status_check;
ALTER TABLE balances ADD CONSTRAINT balances_status_check
    CHECK (status IN ('available','quarantine','damaged','recalled'));

CREATE TABLE recalls (
    recall_id   text PRIMARY KEY,
    warehouse   text NOT NULL,
    sku         text NOT NULL,
    lot         text NOT NULL DEFAULT '',     -- '' for a recall by serials
    serials     text[] NOT NULL DEFAULT '{}', -- a recall by serials names them
    reason      text NOT NULL DEFAULT '',
    state       text NOT NULL DEFAULT 'open' CHECK (state IN ('open','released','scrapped')),
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL,
    closed_by   text,
    closed_at   timestamptz,
    close_reason text,
    holds       integer NOT NULL DEFAULT 0   -- times the hold ran: its moves' ids name the round
);
-- At most one open recall of a lot in a warehouse: a second would hold nothing and make
-- release ambiguous.
CREATE UNIQUE INDEX recalls_open_lot ON recalls (warehouse, sku, lot)
    WHERE state = 'open' AND lot <> '';
CREATE INDEX recalls_serials ON recalls USING gin (serials) WHERE state = 'open';
