-- Warehouse work (cloud_hub/work): tasks for the PDA, idempotent requests, receipts, orders
-- with reservations, waves, lots (expiry for FEFO), cycle counts and floor exceptions.

CREATE TABLE work_tasks (
    task_id     text PRIMARY KEY,
    warehouse   text NOT NULL,
    kind        text NOT NULL,
    state       text NOT NULL,
    assigned_to text,
    priority    integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL,
    reference   text,
    doc         jsonb NOT NULL,              -- protocol.tasks.Task as the PDA sees it
    links       jsonb NOT NULL DEFAULT '{}', -- hub-only facts per step (StepLink)
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX work_tasks_pool ON work_tasks (warehouse, state, kind, priority DESC, created_at);
CREATE INDEX work_tasks_assignee ON work_tasks (assigned_to, state);
CREATE INDEX work_tasks_reference ON work_tasks (reference);

CREATE TABLE work_requests (               -- idempotency: one answer per key, forever
    idempotency_key uuid PRIMARY KEY,
    task_id     text NOT NULL,
    kind        text NOT NULL,             -- confirm / skip / exception
    answer      jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE work_exceptions (
    exception_id text PRIMARY KEY,
    task_id     text NOT NULL,
    warehouse   text NOT NULL,
    kind        text NOT NULL,
    reported_by text NOT NULL,
    report      jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz
);

CREATE TABLE work_lots (
    sku         text NOT NULL,
    lot         text NOT NULL,
    expiry      date,
    received_at timestamptz,
    PRIMARY KEY (sku, lot)
);

CREATE TABLE work_receipts (
    receipt_id  text PRIMARY KEY,
    warehouse   text NOT NULL,
    dock        text NOT NULL,
    supplier    text NOT NULL DEFAULT '',
    quarantine  boolean NOT NULL DEFAULT false,
    state       text NOT NULL DEFAULT 'open',  -- open / closed
    lines       jsonb NOT NULL,
    discrepancies jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE work_receipt_arrivals (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    receipt_id  text NOT NULL REFERENCES work_receipts(receipt_id),
    line_id     text,                         -- NULL: unexpected
    unit_key    text,
    sku         text,
    lot         text NOT NULL DEFAULT '',
    quantity    numeric NOT NULL,
    match       text NOT NULL,                -- matched / over / duplicate / unexpected
    seen_by     text NOT NULL,
    occurred_at timestamptz NOT NULL
);
CREATE INDEX work_receipt_arrivals_receipt ON work_receipt_arrivals (receipt_id);
CREATE UNIQUE INDEX work_receipt_arrivals_unit ON work_receipt_arrivals (receipt_id, unit_key)
    WHERE unit_key IS NOT NULL AND match IN ('matched', 'over');

CREATE TABLE work_orders (
    order_id    text PRIMARY KEY,
    warehouse   text NOT NULL,
    kind        text NOT NULL DEFAULT 'sales',
    state       text NOT NULL,
    carrier     text NOT NULL DEFAULT '',
    cutoff      timestamptz,
    priority    integer NOT NULL DEFAULT 0,
    wave_id     text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX work_orders_state ON work_orders (warehouse, state);

CREATE TABLE work_order_lines (            -- reserved − shipped is what the line still holds
    order_id    text NOT NULL REFERENCES work_orders(order_id),
    line_no     integer NOT NULL,
    warehouse   text NOT NULL,
    sku         text NOT NULL,
    quantity    numeric NOT NULL CHECK (quantity > 0),
    reserved    numeric NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    picked      numeric NOT NULL DEFAULT 0,
    shipped     numeric NOT NULL DEFAULT 0,
    backordered numeric NOT NULL DEFAULT 0,
    open        boolean NOT NULL DEFAULT true,  -- false once shipped or cancelled
    PRIMARY KEY (order_id, line_no)
);
CREATE INDEX work_order_lines_atp ON work_order_lines (warehouse, sku) WHERE open;

CREATE TABLE work_waves (
    wave_id     text PRIMARY KEY,
    warehouse   text NOT NULL,
    rule        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    shortfalls  jsonb NOT NULL DEFAULT '[]'
);

CREATE TABLE work_counts (
    task_id     text NOT NULL,
    step_id     text NOT NULL,
    warehouse   text NOT NULL,
    location    text NOT NULL,
    sku         text NOT NULL,
    lot         text NOT NULL DEFAULT '',
    snapshot    numeric NOT NULL,
    snapshot_at timestamptz NOT NULL,
    counted     numeric,
    counted_at  timestamptz,
    counted_by  text,
    expected    numeric,
    variance    numeric,
    action      text,                       -- none / adjust / review
    state       text NOT NULL DEFAULT 'open', -- open / posted / review / approved / recount
    decided_by  text,
    PRIMARY KEY (task_id, step_id)
);
CREATE INDEX work_counts_location ON work_counts (location, sku);
CREATE INDEX work_counts_review ON work_counts (warehouse) WHERE state = 'review';

CREATE TABLE work_picks (                  -- what was picked for which order line, and where it lies
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    text NOT NULL,
    line_no     integer NOT NULL,
    sku         text NOT NULL,
    lot         text NOT NULL DEFAULT '',
    location    text NOT NULL,
    quantity    numeric NOT NULL CHECK (quantity > 0),
    shipped     boolean NOT NULL DEFAULT false,
    task_id     text NOT NULL
);
CREATE INDEX work_picks_order ON work_picks (order_id) WHERE NOT shipped;
