-- Planning (cloud_hub/planning): per SKU × warehouse settings and the last computed policy,
-- replenishment suggestions, stored alerts, rule sets, rule failures and recount requests.

CREATE TABLE planning_settings (             -- what a planner sets; defaults apply when absent
    warehouse         text NOT NULL,
    sku               text NOT NULL,
    supplier          text NOT NULL DEFAULT '',
    lead_time_days    double precision NOT NULL DEFAULT 7 CHECK (lead_time_days >= 0),
    lead_time_sd_days double precision NOT NULL DEFAULT 0 CHECK (lead_time_sd_days >= 0),
    service_level     double precision NOT NULL DEFAULT 0.95
                        CHECK (service_level > 0 AND service_level < 1),
    review_days       double precision NOT NULL DEFAULT 0 CHECK (review_days >= 0),
    unit_cost         numeric CHECK (unit_cost IS NULL OR unit_cost >= 0),
    order_cost        numeric NOT NULL DEFAULT 50 CHECK (order_cost >= 0),
    holding_rate      double precision NOT NULL DEFAULT 0.25 CHECK (holding_rate >= 0),
    pack_size         numeric NOT NULL DEFAULT 1 CHECK (pack_size > 0),
    min_order         numeric NOT NULL DEFAULT 0 CHECK (min_order >= 0),
    PRIMARY KEY (warehouse, sku)
);

CREATE TABLE planning_status (               -- the last computed forecast and policy
    warehouse       text NOT NULL,
    sku             text NOT NULL,
    pattern         text NOT NULL,
    model           text NOT NULL,
    demand_daily    double precision NOT NULL,
    mae             double precision NOT NULL,
    bias            double precision NOT NULL,
    rmse            double precision NOT NULL,
    safety_stock    double precision NOT NULL,
    reorder_point   double precision NOT NULL,
    max_level       double precision NOT NULL,
    abc_class       text,
    xyz_class       text,
    computed_at     timestamptz NOT NULL,
    PRIMARY KEY (warehouse, sku)
);

CREATE TABLE planning_suggestions (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind               text NOT NULL CHECK (kind IN ('purchase', 'transfer', 'pick_face')),
    warehouse          text NOT NULL,
    sku                text NOT NULL,
    quantity           numeric NOT NULL CHECK (quantity > 0),
    suggested_quantity numeric NOT NULL CHECK (suggested_quantity > 0),
    source             text NOT NULL DEFAULT '',
    to_location        text,
    reason             text NOT NULL,
    days_of_supply     double precision,
    stockout_date      date,
    inventory_position numeric NOT NULL DEFAULT 0,
    reorder_point      numeric NOT NULL DEFAULT 0,
    safety_stock       numeric NOT NULL DEFAULT 0,
    unit_cost          numeric NOT NULL DEFAULT 0,
    state              text NOT NULL DEFAULT 'proposed'
                         CHECK (state IN ('proposed', 'edited', 'accepted', 'rejected')),
    note               text NOT NULL DEFAULT '',
    created_on         date NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    decided_at         timestamptz,
    decided_by         text
);
-- At most one open suggestion per SKU, warehouse and kind: re-planning refreshes it.
CREATE UNIQUE INDEX planning_suggestions_open ON planning_suggestions (warehouse, sku, kind)
    WHERE state IN ('proposed', 'edited');
CREATE INDEX planning_suggestions_state ON planning_suggestions (state, warehouse);

CREATE TABLE planning_alerts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule            text NOT NULL,
    warehouse       text NOT NULL,
    subject         text NOT NULL,
    sku             text,
    severity        text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    audience        text NOT NULL DEFAULT '',
    message         text NOT NULL,
    facts           jsonb NOT NULL DEFAULT '{}'::jsonb,
    raised_at       timestamptz NOT NULL,
    last_seen_at    timestamptz NOT NULL,
    occurrences     integer NOT NULL DEFAULT 1,
    acknowledged_at timestamptz,
    acknowledged_by text
);
-- One open alert per rule and subject: a condition that keeps holding is counted, not repeated.
CREATE UNIQUE INDEX planning_alerts_open ON planning_alerts (rule, warehouse, subject)
    WHERE acknowledged_at IS NULL;
CREATE INDEX planning_alerts_recent ON planning_alerts (warehouse, raised_at DESC);

CREATE TABLE planning_rule_sets (
    version     integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text
);

CREATE TABLE planning_rule_failures (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule        text NOT NULL,
    subject     text NOT NULL,
    error       text NOT NULL,
    failed_at   timestamptz NOT NULL
);
CREATE INDEX planning_rule_failures_recent ON planning_rule_failures (failed_at DESC);

CREATE TABLE planning_recount_requests (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    warehouse    text NOT NULL,
    subject      text NOT NULL,
    sku          text,
    rule         text NOT NULL,
    requested_at timestamptz NOT NULL,
    done_at      timestamptz
);
CREATE UNIQUE INDEX planning_recount_open ON planning_recount_requests (warehouse, subject)
    WHERE done_at IS NULL;
