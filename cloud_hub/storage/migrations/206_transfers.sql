-- Transfer orders between warehouses (cloud_hub/supply/transfer.py). Shipping moves stock out
-- of the source and into the destination's transit location (kind 'transit') in one ledger
-- transaction; receiving moves it from there into the destination.

ALTER TABLE locations DROP CONSTRAINT locations_kind_check;
ALTER TABLE locations ADD CONSTRAINT locations_kind_check CHECK (kind IN
    ('zone','aisle','rack','bin','dock_door','portal','staging','area','packing','transit'));

CREATE TABLE transfer_orders (
    transfer_id     text PRIMARY KEY CHECK (transfer_id <> ''),
    from_warehouse  text NOT NULL REFERENCES warehouses(code),
    to_warehouse    text NOT NULL REFERENCES warehouses(code),
    state           text NOT NULL DEFAULT 'draft'
                      CHECK (state IN ('draft', 'shipped', 'received', 'cancelled')),
    note            text NOT NULL DEFAULT '',
    created_by      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    shipped_at      timestamptz,
    ended_at        timestamptz,
    CHECK (from_warehouse <> to_warehouse)
);
CREATE INDEX transfer_orders_to ON transfer_orders (to_warehouse, state);
CREATE INDEX transfer_orders_from ON transfer_orders (from_warehouse, state);

CREATE TABLE transfer_order_lines (
    transfer_id    text NOT NULL REFERENCES transfer_orders(transfer_id),
    line_no        integer NOT NULL CHECK (line_no > 0),
    sku            text NOT NULL REFERENCES skus(sku),
    lot            text NOT NULL DEFAULT '',
    quantity       numeric NOT NULL CHECK (quantity > 0),
    from_location  text NOT NULL REFERENCES locations(code),
    shipped        numeric NOT NULL DEFAULT 0 CHECK (shipped >= 0),
    received       numeric NOT NULL DEFAULT 0 CHECK (received >= 0),   -- good, into stock
    damaged        numeric NOT NULL DEFAULT 0 CHECK (damaged >= 0),    -- into stock, damaged
    over           numeric NOT NULL DEFAULT 0 CHECK (over >= 0),       -- beyond what was shipped
    short          numeric NOT NULL DEFAULT 0 CHECK (short >= 0),      -- written off at close
    suggestion_id  bigint,
    PRIMARY KEY (transfer_id, line_no)
);

CREATE TABLE transfer_receipts (            -- one row per receiving call: a retry books nothing
    key          uuid PRIMARY KEY,
    transfer_id  text NOT NULL REFERENCES transfer_orders(transfer_id),
    booked_at    timestamptz NOT NULL DEFAULT now()
);
