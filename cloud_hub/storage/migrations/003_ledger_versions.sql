-- One counter per warehouse, bumped by every apply and by every change of master data or
-- rebuild. A hub process that remembers the version it last wrote may keep using the rows
-- it has cached for that warehouse; anyone else's write shows up as a version gap.
CREATE TABLE ledger_versions (
    warehouse text PRIMARY KEY,
    version   bigint NOT NULL
);
