-- The lot master (issue 21): `lots` (migration 014) becomes the one record of a lot, SKU + lot,
-- warehouse-independent: expiry, production and best-before dates, supplier, origin, status.
-- Moves still feed it (cloud_hub/work/pg/lots.py); an import (POST /api/v1/lots/import) and a
-- supervisor's resolution write it too. A lot's expiry is the FIRST one reported; a different
-- one later (from an event, a receipt or an import) is kept in lot_expiry_reports and opens a
-- `lot_exceptions` row a supervisor resolves, never a silent overwrite.

ALTER TABLE lots
    ADD COLUMN production_date date,
    ADD COLUMN best_before     date,
    ADD COLUMN supplier        text,
    ADD COLUMN origin          text,
    ADD COLUMN status          text NOT NULL DEFAULT 'active'
               CHECK (status ~ '^[a-z_]{1,32}$'),   -- active, blocked, recalled, ...
    ADD COLUMN expiry_source   text,                 -- event | import | resolved
    ADD COLUMN updated_at      timestamptz NOT NULL DEFAULT now();
CREATE INDEX lots_lot ON lots (lot);

-- An import's report has no event behind it.
ALTER TABLE lot_expiry_reports
    ALTER COLUMN first_event DROP NOT NULL,
    ALTER COLUMN first_seq DROP NOT NULL,
    ADD COLUMN source text NOT NULL DEFAULT 'event';

-- What a supervisor must look at: expiry_conflict (two expiries for one lot), expired_on_receipt
-- (accepted, flagged), serial_two_places (one serial seen in two places at once). At most one
-- open exception per kind and lot (and serial); resolving closes it, the row stays.
CREATE TABLE lot_exceptions (
    exception_id bigserial PRIMARY KEY,
    kind         text NOT NULL,
    sku          text NOT NULL,
    lot          text NOT NULL DEFAULT '',
    serial       text NOT NULL DEFAULT '',
    detail       jsonb NOT NULL DEFAULT '{}',
    opened_at    timestamptz NOT NULL DEFAULT now(),
    resolved_at  timestamptz,
    resolved_by  text,
    resolution   jsonb
);
CREATE UNIQUE INDEX lot_exceptions_open ON lot_exceptions (kind, sku, lot, serial)
    WHERE resolved_at IS NULL;
CREATE INDEX lot_exceptions_by_lot ON lot_exceptions (sku, lot);

UPDATE lots SET expiry_source = 'event' WHERE expiry IS NOT NULL;
INSERT INTO lot_exceptions (kind, sku, lot, detail)
SELECT 'expiry_conflict', sku, lot, jsonb_build_object('expiries', expiries)
  FROM lot_expiry_conflicts;
