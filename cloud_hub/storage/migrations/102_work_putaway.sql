-- Putaway rules per SKU, per category and per dock zone (cloud_hub/work/putaway.py).
CREATE TABLE work_putaway_rules (
    scope       text NOT NULL CHECK (scope IN ('sku', 'category', 'zone', 'default')),
    key         text NOT NULL,               -- the SKU, category or zone ('' for default)
    strategies  text[] NOT NULL,             -- fixed / consolidate / nearest_empty, in order
    zones       text[],                      -- allowed storage zones; NULL: any
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
