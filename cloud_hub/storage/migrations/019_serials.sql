-- Serials (issue 21): serialised items (SGTIN with serial, GS1 AI 21) first-class. A
-- projection of `moves` like `lots` (cloud_hub/work/pg/serials.py), fed by every applied move
-- whose item or declared unit contents name a serial: where each serial is now (`serials`)
-- and every sighting of it (`serial_sightings`). A serial that appears somewhere it was not
-- (received again while in stock, moved from a place other than where it was) opens a
-- `serial_two_places` exception in lot_exceptions with both sightings.

CREATE TABLE serials (
    sku           text NOT NULL,
    serial        text NOT NULL,
    lot           text NOT NULL DEFAULT '',
    warehouse     text NOT NULL,
    location      text,               -- NULL: gone out (shipped, picked out, written off)
    unit_key      text,               -- the unit it was last seen in (its location follows it)
    first_seen_at timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    last_seq      bigint NOT NULL,
    last_event    uuid NOT NULL,
    PRIMARY KEY (sku, serial)
);
CREATE INDEX serials_serial ON serials (serial);
CREATE INDEX serials_lot ON serials (sku, lot);

CREATE TABLE serial_sightings (
    sku           text NOT NULL,
    serial        text NOT NULL,
    seq           bigint NOT NULL,
    event_id      uuid NOT NULL,
    occurred_at   timestamptz NOT NULL,
    warehouse     text NOT NULL,
    from_location text,
    to_location   text,
    unit_key      text,
    reason        text NOT NULL,
    lot           text NOT NULL DEFAULT '',
    PRIMARY KEY (sku, serial, seq)
);

CREATE TABLE serials_state (
    one             boolean PRIMARY KEY DEFAULT true CHECK (one),
    through_seq     bigint NOT NULL DEFAULT 0,
    pending_seq     bigint,
    pending_writers text[],
    refreshed_at    timestamptz
);
INSERT INTO serials_state DEFAULT VALUES;

-- The warehouses an exception shows (a serial's sightings name locations): a caller sees it
-- only if it may see them all. Empty: warehouse-independent (a lot's expiry).
ALTER TABLE lot_exceptions ADD COLUMN warehouses text[] NOT NULL DEFAULT '{}';
