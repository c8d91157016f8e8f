-- Purchase orders (cloud_hub/supply/purchase.py holds their life). The stored state is what
-- people decided (draft, sent, confirmed, closed, cancelled); "partly received" and "received"
-- follow from the arrivals on the PO's receipts (work_receipt_arrivals), never stored twice.

CREATE TABLE purchase_orders (
    po_id         text PRIMARY KEY CHECK (po_id <> ''),
    supplier      text NOT NULL REFERENCES suppliers(code),
    warehouse     text NOT NULL REFERENCES warehouses(code),
    state         text NOT NULL DEFAULT 'draft'
                    CHECK (state IN ('draft', 'sent', 'confirmed', 'closed', 'cancelled')),
    currency      text NOT NULL DEFAULT 'EUR',
    expected_on   date,
    note          text NOT NULL DEFAULT '',
    created_by    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    sent_at       timestamptz,
    confirmed_at  timestamptz,
    ended_at      timestamptz              -- closed or cancelled
);
CREATE INDEX purchase_orders_open ON purchase_orders (warehouse, state)
    WHERE state IN ('draft', 'sent', 'confirmed');

CREATE TABLE purchase_order_lines (
    po_id          text NOT NULL REFERENCES purchase_orders(po_id),
    line_no        integer NOT NULL CHECK (line_no > 0),
    sku            text NOT NULL REFERENCES skus(sku),
    quantity       numeric NOT NULL CHECK (quantity >= 0),  -- 0: the supplier cannot deliver
    ordered        numeric NOT NULL CHECK (ordered > 0),    -- as first ordered
    unit_price     numeric NOT NULL DEFAULT 0 CHECK (unit_price >= 0),
    expected_on    date,
    suggestion_id  bigint,
    PRIMARY KEY (po_id, line_no)
);
CREATE INDEX purchase_order_lines_sku ON purchase_order_lines (sku);

CREATE TABLE purchase_order_receipts (      -- the work receipts that receive a PO's goods
    receipt_id  text PRIMARY KEY REFERENCES work_receipts(receipt_id),
    po_id       text NOT NULL REFERENCES purchase_orders(po_id)
);
CREATE INDEX purchase_order_receipts_po ON purchase_order_receipts (po_id);

-- An accepted suggestion becomes an order line once: it remembers which.
ALTER TABLE planning_suggestions ADD COLUMN ordered_as text;

-- Suggestions from planning and from rules are one queue: at most one open purchase or
-- transfer suggestion per SKU and warehouse (a rule refreshes the planner's, not beside it);
-- pick-face moves stay a queue of their own.
DROP INDEX planning_suggestions_open;
CREATE UNIQUE INDEX planning_suggestions_open
    ON planning_suggestions (warehouse, sku, (kind = 'pick_face'))
    WHERE state IN ('proposed', 'edited');
