-- Onboarding imports (issue 23): what a SKU master holds beyond code and GTIN, the units of
-- measure of each SKU with the GTIN of each packaging level, and the record of every import
-- that wrote (who, when, the file's SHA-256, the kind, the counts). Customers are migration
-- 107's table.

ALTER TABLE skus
    ADD COLUMN lot_tracked    boolean NOT NULL DEFAULT false,
    ADD COLUMN serial_tracked boolean NOT NULL DEFAULT false,
    ADD COLUMN expiry_tracked boolean NOT NULL DEFAULT false,
    ADD COLUMN storage_class  text,
    ADD COLUMN abc_override   text CHECK (abc_override IN ('A', 'B', 'C')),
    ADD COLUMN length_cm      numeric CHECK (length_cm >= 0),
    ADD COLUMN width_cm       numeric CHECK (width_cm >= 0),
    ADD COLUMN height_cm      numeric CHECK (height_cm >= 0),
    ADD COLUMN weight_kg      numeric CHECK (weight_kg >= 0);

-- One row per unit other than the base (skus.uom): `factor` of `per` (NULL: the base unit) as
-- it was given, and `base_factor`, the whole number of base units it holds, resolved.
CREATE TABLE sku_uoms (
    sku         text NOT NULL REFERENCES skus(sku) ON DELETE CASCADE,
    uom         text NOT NULL,
    factor      numeric NOT NULL CHECK (factor > 0),
    per         text,
    base_factor numeric NOT NULL CHECK (base_factor >= 1 AND base_factor = trunc(base_factor)),
    gtin        text UNIQUE,
    PRIMARY KEY (sku, uom)
);
CREATE INDEX sku_uoms_gtin14 ON sku_uoms (lpad(gtin, 14, '0')) WHERE gtin IS NOT NULL;
CREATE INDEX skus_gtin14 ON skus (lpad(gtin, 14, '0')) WHERE gtin IS NOT NULL;

CREATE TABLE imports (
    import_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL,
    file_name   text NOT NULL DEFAULT '',
    file_sha256 text NOT NULL,
    user_name   text,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    rows        integer NOT NULL,
    created     integer NOT NULL,
    updated     integer NOT NULL,
    unchanged   integer NOT NULL,
    warehouses  text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX imports_finished ON imports (finished_at DESC);
