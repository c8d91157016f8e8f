-- FEFO reads lot expiry from `lots` (migration 014), which every receive move feeds; the
-- receipts-only copy is gone, so there is one source of expiry.
DROP TABLE work_lots;
