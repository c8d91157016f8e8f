-- The ledger: locations, SKUs, the append-only move history, and the state derived from it.
-- event_ids is the exactly-once gate (one row per event ever accepted or rejected);
-- moves is keyed (event_id, occurred_at) so it can become a TimescaleDB hypertable.

CREATE TABLE warehouses (
    code        text PRIMARY KEY,
    name        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE locations (
    code        text PRIMARY KEY,
    warehouse   text NOT NULL REFERENCES warehouses(code),
    kind        text NOT NULL CHECK (kind IN
                  ('zone','aisle','rack','bin','dock_door','portal','staging','area','packing')),
    parent      text REFERENCES locations(code),
    name        text NOT NULL DEFAULT '',
    x           double precision,
    y           double precision,
    width       double precision,
    depth       double precision,
    capacity    numeric CHECK (capacity IS NULL OR capacity >= 0),
    attributes  jsonb NOT NULL DEFAULT '{}'::jsonb,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX locations_warehouse ON locations (warehouse, kind);
CREATE INDEX locations_parent ON locations (parent);

CREATE TABLE skus (
    sku         text PRIMARY KEY,
    gtin        text UNIQUE,
    description text NOT NULL DEFAULT '',
    uom         text NOT NULL DEFAULT 'EA',
    category    text,
    unit_value  numeric,
    attributes  jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE event_ids (
    event_id    uuid PRIMARY KEY,
    outcome     text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE moves (
    seq           bigint GENERATED ALWAYS AS IDENTITY,
    event_id      uuid NOT NULL,
    occurred_at   timestamptz NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    warehouse     text NOT NULL,
    source_kind   text NOT NULL,
    device_id     text NOT NULL,
    read_point    text,
    unit_key      text,
    sku           text,
    lot           text,
    quantity      numeric,
    stock_status  text,
    from_location text,
    to_location   text,
    reason        text NOT NULL,
    task_id       text,
    user_id       text,
    applied_by    text,
    outcome       text NOT NULL CHECK (outcome IN ('applied','late')),
    note          text,
    payload       jsonb NOT NULL,
    PRIMARY KEY (event_id, occurred_at)
);
CREATE INDEX moves_seq ON moves (seq);
CREATE INDEX moves_time ON moves (occurred_at);
CREATE INDEX moves_warehouse_time ON moves (warehouse, occurred_at);
CREATE INDEX moves_unit ON moves (unit_key, occurred_at) WHERE unit_key IS NOT NULL;
CREATE INDEX moves_sku ON moves (sku, occurred_at) WHERE sku IS NOT NULL;
CREATE INDEX moves_from ON moves (from_location, occurred_at);
CREATE INDEX moves_to ON moves (to_location, occurred_at);

CREATE TABLE rejected_moves (
    event_id     uuid PRIMARY KEY,
    received_at  timestamptz NOT NULL DEFAULT now(),
    occurred_at  timestamptz NOT NULL,
    warehouse    text NOT NULL,
    code         text NOT NULL,
    reason       text NOT NULL,
    applied_by   text,
    payload      jsonb NOT NULL,
    resolved_at  timestamptz,
    resolved_by  text,
    resolution   text,
    corrected_by uuid
);
CREATE INDEX rejected_open ON rejected_moves (warehouse, received_at) WHERE resolved_at IS NULL;

CREATE TABLE balances (
    location    text NOT NULL REFERENCES locations(code),
    sku         text NOT NULL,
    lot         text NOT NULL DEFAULT '',
    status      text NOT NULL CHECK (status IN ('available','quarantine','damaged')),
    warehouse   text NOT NULL,
    quantity    numeric NOT NULL CHECK (quantity >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (location, sku, lot, status)
);
CREATE INDEX balances_sku ON balances (sku, warehouse);
CREATE INDEX balances_warehouse ON balances (warehouse);

CREATE TABLE units (
    unit_key    text PRIMARY KEY,
    epc         text,
    sscc        text,
    warehouse   text NOT NULL,
    location    text REFERENCES locations(code),
    since       timestamptz NOT NULL,
    last_event  uuid NOT NULL
);
CREATE INDEX units_location ON units (location);
CREATE INDEX units_epc ON units (epc) WHERE epc IS NOT NULL;

CREATE TABLE unit_contents (
    unit_key    text NOT NULL REFERENCES units(unit_key) ON DELETE CASCADE,
    sku         text NOT NULL,
    lot         text NOT NULL DEFAULT '',
    status      text NOT NULL,
    quantity    numeric NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (unit_key, sku, lot, status)
);
CREATE INDEX unit_contents_sku ON unit_contents (sku, lot);

CREATE TABLE dead_letters (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now(),
    topic       text,
    source      text NOT NULL DEFAULT 'mqtt',
    reason      text NOT NULL,
    raw         bytea NOT NULL,
    resolved_at timestamptz,
    resolved_by text
);
CREATE INDEX dead_letters_open ON dead_letters (received_at) WHERE resolved_at IS NULL;
