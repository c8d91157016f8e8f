"""Looking a unit up by EPC (any case), SSCC or key reads a few index pages, never every unit:
at a million units a scan cost 44 ms a request under ingest (issue 26)."""

from __future__ import annotations

import psycopg
import pytest

from cloud_hub.catalog.model import Location
from cloud_hub.catalog.pg.store import upsert_locations
from cloud_hub.db.database import connect
from cloud_hub.ledger.pg.queries import where_is
from cloud_hub.web.pg.find import find

pytestmark = pytest.mark.integration
UNITS = 20_000


@pytest.fixture
def conn(fresh_db_url: str):  # type: ignore[no-untyped-def]
    with connect(fresh_db_url) as c:
        upsert_locations(c, [Location("BIN-A", "WH1", "bin")])
        c.execute(
            "INSERT INTO units (unit_key, epc, sscc, warehouse, location, since, last_event) "
            "SELECT CASE WHEN i %% 2 = 0 THEN 'sscc:' || lpad(i::text, 18, '0') "
            "            ELSE 'epc:' || upper(md5(i::text)) END, "
            "       CASE WHEN i %% 2 = 1 THEN upper(md5(i::text)) END, "
            "       CASE WHEN i %% 2 = 0 THEN lpad(i::text, 18, '0') END, "
            "       'WH1', 'BIN-A', now(), gen_random_uuid() FROM generate_series(1, %s) i",
            (UNITS,))
        c.execute("ANALYZE units")
        yield c


def plan(conn: psycopg.Connection, sql: str, params: object) -> str:
    return "\n".join(r[0] for r in conn.execute(f"EXPLAIN {sql}", params))


def test_lookups_find_the_unit_in_any_case(conn: psycopg.Connection) -> None:
    epc = conn.execute("SELECT md5('7')").fetchone()[0]  # lower case, as some readers send
    assert where_is(conn, epc).unit_key == f"epc:{epc.upper()}"  # type: ignore[union-attr]
    assert where_is(conn, "000000000000000008").location == "BIN-A"  # type: ignore[union-attr]


def test_the_epc_lookup_uses_indexes_not_a_scan(conn: psycopg.Connection) -> None:
    shown = plan(conn, "SELECT * FROM units WHERE unit_key = ANY(%s) OR upper(epc) = upper(%s)",
                 (["epc:ABCDEF12"], "abcdef12"))
    assert "Seq Scan" not in shown, shown


def test_the_maps_search_uses_indexes_not_a_scan(conn: psycopg.Connection) -> None:
    conn.execute("SET enable_seqscan = off")  # the plan must exist without a scan ...
    hits = find(conn, "WH1", "000000000000000008")
    assert hits, "the search still finds it"
    conn.execute("RESET enable_seqscan")  # ... and be the one chosen at this size
    shown = plan(conn, "SELECT unit_key FROM units u WHERE u.warehouse = %s AND "
                 "(u.sscc = %s OR upper(u.epc) = %s OR u.unit_key IN (%s, %s, %s))",
                 ("WH1", "x", "X", "x", "epc:X", "sscc:x"))
    assert "Seq Scan" not in shown, shown
