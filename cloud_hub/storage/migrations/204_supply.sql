-- Supply (cloud_hub/supply): suppliers, their terms per SKU, and planning parameters that a
-- planner sets per SKU × warehouse. Planning reads them (cloud_hub/planning/pg/runs.py):
-- a value set on planning_settings overrides the preferred supplier's term, which overrides
-- the planning default.

CREATE TABLE suppliers (
    code        text PRIMARY KEY CHECK (code <> ''),
    name        text NOT NULL DEFAULT '',
    currency    text NOT NULL DEFAULT 'EUR' CHECK (currency ~ '^[A-Z]{3}$'),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE supplier_skus (                 -- what a supplier offers for one SKU, on what terms
    supplier          text NOT NULL REFERENCES suppliers(code),
    sku               text NOT NULL REFERENCES skus(sku),
    lead_time_days    double precision NOT NULL CHECK (lead_time_days >= 0),
    lead_time_sd_days double precision NOT NULL DEFAULT 0 CHECK (lead_time_sd_days >= 0),
    moq               numeric NOT NULL DEFAULT 0 CHECK (moq >= 0),
    pack_multiple     numeric NOT NULL DEFAULT 1 CHECK (pack_multiple > 0),
    price             numeric CHECK (price IS NULL OR price >= 0),
    currency          text NOT NULL DEFAULT 'EUR' CHECK (currency ~ '^[A-Z]{3}$'),
    preferred         boolean NOT NULL DEFAULT false,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (supplier, sku)
);
-- One preferred supplier per SKU: it is the one planning orders from.
CREATE UNIQUE INDEX supplier_skus_preferred ON supplier_skus (sku) WHERE preferred;
CREATE INDEX supplier_skus_sku ON supplier_skus (sku);

-- planning_settings' supplier-side values become overrides: NULL means "the preferred
-- supplier's term, else the default" (no REST wrote this table before; nothing is lost).
ALTER TABLE planning_settings
    ALTER COLUMN supplier DROP NOT NULL, ALTER COLUMN supplier DROP DEFAULT,
    ALTER COLUMN lead_time_days DROP NOT NULL, ALTER COLUMN lead_time_days DROP DEFAULT,
    ALTER COLUMN lead_time_sd_days DROP NOT NULL, ALTER COLUMN lead_time_sd_days DROP DEFAULT,
    ALTER COLUMN pack_size DROP NOT NULL, ALTER COLUMN pack_size DROP DEFAULT,
    ALTER COLUMN min_order DROP NOT NULL, ALTER COLUMN min_order DROP DEFAULT,
    ADD COLUMN min_qty numeric CHECK (min_qty IS NULL OR min_qty >= 0),
    ADD COLUMN max_qty numeric CHECK (max_qty IS NULL OR max_qty > 0),
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT planning_settings_min_below_max
        CHECK (min_qty IS NULL OR max_qty IS NULL OR min_qty < max_qty);
UPDATE planning_settings SET supplier = NULL WHERE supplier = '';
