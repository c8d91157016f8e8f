-- How far over a line's quantity a receipt may be received before a supervisor must accept
-- the excess (percent of the line; cloud_hub/work/receiving.py).
ALTER TABLE work_receipts ADD COLUMN over_tolerance_pct numeric NOT NULL DEFAULT 10
    CHECK (over_tolerance_pct >= 0);
