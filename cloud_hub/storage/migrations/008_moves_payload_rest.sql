-- A moves row's columns hold nearly all of its event; `payload` now keeps only the rest
-- (cloud_hub/storage/move_rows.py: sent_at, an EPC beside the unit key, declared contents,
-- an item's gtin/serial/expiry/uom, to_status, confidence, unknown fields), with the nesting
-- of the event's JSON, and is NULL when the columns say it all (most moves). Writing every
-- event's whole JSON cost pydantic's serializer ~7 us of the hub's Python per event and
-- PostgreSQL the row, its WAL (~320 of ~1,560 bytes per event) and the JSON check.
-- Rows written before keep the whole event (it has an "event_id" key) and are read as such.
ALTER TABLE moves ALTER COLUMN payload DROP NOT NULL;
