-- A unit looked up by EPC hex is matched case-insensitively (readers report upper or lower
-- case): `upper(epc) = upper($1)` could not use units_epc and scanned every unit — 44 ms p50
-- per GET /units/{id} at a million units under ingest (issue 26). With this index the
-- planner ORs the unit_key primary key and this one (BitmapOr), a few index pages.
CREATE INDEX units_epc_upper ON units (upper(epc));
DROP INDEX IF EXISTS units_epc;
-- The map's search matches `u.sscc = $1 OR upper(u.epc) = $2 OR u.unit_key IN (…)`: every arm
-- indexed, so that too is a BitmapOr instead of a scan of the warehouse's units.
CREATE INDEX units_sscc ON units (sscc);
