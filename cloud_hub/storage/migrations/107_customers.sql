-- Customers and ship-to on orders (issue 21): who an order is for and where it goes, so that
-- shipped stock knows where it went. A customer has an address and named ship-to addresses;
-- an order keeps the customer and a copy of its ship-to as it was when the order was made
-- (changing a customer's address later does not rewrite where earlier orders went). Shipment
-- moves carry both (their payload's `customer` and `ship_to`).

CREATE TABLE customers (
    customer_id text PRIMARY KEY,
    name        text NOT NULL,
    address     jsonb NOT NULL,               -- {lines: [...], city, postcode, country}
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE customer_ship_tos (
    customer_id text NOT NULL REFERENCES customers(customer_id) ON DELETE CASCADE,
    ship_to_id  text NOT NULL,
    name        text NOT NULL,
    address     jsonb NOT NULL,
    PRIMARY KEY (customer_id, ship_to_id)
);

ALTER TABLE work_orders
    ADD COLUMN customer_id text REFERENCES customers(customer_id),
    ADD COLUMN ship_to     jsonb;             -- {ship_to_id, name, address}: the order's copy
CREATE INDEX work_orders_customer ON work_orders (customer_id) WHERE customer_id IS NOT NULL;
