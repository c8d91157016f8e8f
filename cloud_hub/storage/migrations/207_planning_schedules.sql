-- Planning on a schedule per warehouse (cloud_hub/supply/schedule.py, pg/schedules.py): the
-- hub runs planning when next_run_at comes, without anyone calling /run. A run claims its row
-- by moving next_run_at on (FOR UPDATE SKIP LOCKED), so two hub replicas never run it twice.

CREATE TABLE planning_schedules (
    warehouse        text PRIMARY KEY REFERENCES warehouses(code),
    every_minutes    integer NOT NULL CHECK (every_minutes BETWEEN 5 AND 10080),
    days             integer NOT NULL DEFAULT 365 CHECK (days BETWEEN 7 AND 1095),
    enabled          boolean NOT NULL DEFAULT true,
    next_run_at      timestamptz NOT NULL,
    last_run_at      timestamptz,
    last_seconds     double precision,
    last_series      integer,
    last_suggestions integer,
    last_error       text,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX planning_schedules_due ON planning_schedules (next_run_at) WHERE enabled;
