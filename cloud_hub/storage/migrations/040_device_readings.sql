-- Small devices behind the serial bridge (issue 25): which device sits where, and what they
-- read, as a time series per device and location.
--
-- device_readings is partitioned by month on plain PostgreSQL (cloud_hub/devices/pg/readings.py
-- creates each month's partition before it writes into it; the DEFAULT partition only catches
-- what no month holds). Where the timescaledb extension is installed in this database, it is
-- a hypertable instead (one-day chunks). That branch is written to TimescaleDB's documented
-- create_hypertable() but was not run here: TimescaleDB is not installable on this machine.

CREATE TABLE devices (
    warehouse   text NOT NULL,
    gateway     text NOT NULL,
    device_id   integer NOT NULL CHECK (device_id BETWEEN 0 AND 65535),
    location    text REFERENCES locations(code),
    zone        text,
    label       text NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (warehouse, gateway, device_id)
);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
        CREATE TABLE device_readings (
            received_at timestamptz NOT NULL,
            warehouse   text NOT NULL,
            gateway     text NOT NULL,
            device_id   integer NOT NULL,
            seq         integer NOT NULL,
            kind        text NOT NULL,
            unit        text NOT NULL,
            value       double precision NOT NULL,
            location    text,
            zone        text
        );
        EXECUTE 'SELECT create_hypertable(''device_readings'', ''received_at'', '
                'chunk_time_interval => interval ''1 day'')';
    ELSE
        CREATE TABLE device_readings (
            received_at timestamptz NOT NULL,
            warehouse   text NOT NULL,
            gateway     text NOT NULL,
            device_id   integer NOT NULL,
            seq         integer NOT NULL,
            kind        text NOT NULL,
            unit        text NOT NULL,
            value       double precision NOT NULL,
            location    text,
            zone        text
        ) PARTITION BY RANGE (received_at);
        CREATE TABLE device_readings_default PARTITION OF device_readings DEFAULT;
    END IF;
END $$;
CREATE INDEX device_readings_device ON device_readings (warehouse, gateway, device_id, received_at);
CREATE INDEX device_readings_place ON device_readings (warehouse, location, kind, received_at);
