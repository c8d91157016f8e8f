"""The map's SQL on a real PostgreSQL: layout rows, the snapshot, a location's detail, find."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import psycopg
import pytest

from cloud_hub.catalog.model import Sku
from cloud_hub.catalog.pg.store import upsert_locations, upsert_skus
from cloud_hub.db.database import connect
from cloud_hub.ledger.pg.store import apply_batch
from cloud_hub.web.payloads import location_layout_row
from cloud_hub.web.pg import find, queries
from cloud_hub.web.sitegen import Site, arrival_moves, generate_site
from protocol.events import ItemLine, Source, StockMoved
from tests.ledger.factories import item_move

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def seeded(fresh_db_url: str) -> Iterator[tuple[psycopg.Connection, Site]]:
    site = generate_site("WHQ", 60, 12, bins_per_rack=10, doors=2, seed=4)
    with connect(fresh_db_url) as conn:
        upsert_locations(conn, list(site.locations))
        apply_batch(conn, arrival_moves(site, NOW), "test")
        yield conn, site


def test_layout_rows_from_sql_match_the_python_shape(
        seeded: tuple[psycopg.Connection, Site]) -> None:
    conn, site = seeded
    rows = json.loads(queries.layout_json(conn, "WHQ"))
    assert rows == sorted((location_layout_row(loc) for loc in site.locations),
                          key=lambda r: str(r[0]))
    payload = json.loads(queries.layout_envelope("WHQ", queries.layout_json(conn, "WHQ")))
    assert payload["columns"][:2] == ["code", "kind"] and len(payload["rows"]) == len(rows)
    assert json.loads(queries.layout_json(conn, "NO-SUCH-WH")) == []


def test_the_snapshot_has_every_pallet_with_its_age_and_worst_status(
        seeded: tuple[psycopg.Connection, Site]) -> None:
    conn, site = seeded
    snap = json.loads(queries.map_state_json(conn, "WHQ", NOW))
    by_key = {k: (loc, since, status) for k, loc, since, status in snap["units"]}
    assert len(by_key) == len(site.units)
    for u in site.units:
        loc, since, status = by_key[f"sscc:{u.sscc}"]
        assert loc == u.location and status == u.status
        assert abs(since - (NOW.timestamp() - u.age_s) * 1000) < 1
    assert sorted(map(tuple, snap["balances"])) == sorted(
        (u.location, u.sku, u.lot, u.status, u.quantity) for u in site.units)
    assert snap["last_seq"] >= len(site.units)


def test_location_detail_tells_contents_pallets_and_who_moved_them(
        seeded: tuple[psycopg.Connection, Site]) -> None:
    conn, site = seeded
    unit = site.units[0]
    detail = queries.location_detail(conn, unit.location)
    assert detail is not None
    assert detail["contents"] == [{"sku": unit.sku, "lot": unit.lot, "status": unit.status,
                                   "quantity": unit.quantity}]
    assert [u["sscc"] for u in detail["units"]] == [unit.sscc]  # type: ignore[index]
    (move,) = detail["moves"]  # type: ignore[misc]
    assert (move["source_kind"], move["device_id"], move["applied_by"], move["reason"]) == \
        ("pda", "site-seed", "test", "receive")
    rack = next(loc for loc in site.locations if loc.code == unit.location).parent
    below = queries.location_detail(conn, rack)  # type: ignore[arg-type]
    assert below is not None and below["scope"] == "below"
    assert unit.sku in {c["sku"] for c in below["contents"]}  # type: ignore[union-attr]
    assert queries.location_detail(conn, "NO-SUCH-BIN") is None


def test_find_by_each_kind_of_identifier(seeded: tuple[psycopg.Connection, Site]) -> None:
    conn, site = seeded
    unit = site.units[2]
    upsert_skus(conn, [Sku(sku=unit.sku, gtin="9506000134352")])
    loose = StockMoved(event_id="6b1d1a4e-9d4e-4f0e-8a55-000000000001", occurred_at=NOW,
                       warehouse="WHQ", source=Source(kind="barcode", device_id="scan-1"),
                       item=ItemLine(gtin="09506000134352", lot="LX9", quantity=Decimal(4)),
                       to_location=site.codes("bin")[-1], reason="receive")
    apply_batch(conn, [loose, item_move(unit.sku, 3, None, site.codes("bin")[-2], lot="LOT-Q",
                                        wh="WHQ")], "test")

    def where(q: str) -> set[tuple[str, str | None]]:
        return {(h["kind"], h["location"]) for h in find.find(conn, "WHQ", q)}  # type: ignore[misc]

    assert where(unit.sscc) == {("sscc", unit.location)}
    assert where(f"(00){unit.sscc}") == {("sscc", unit.location)}
    assert ("sku", unit.location) in where(unit.sku)
    assert ("sku", site.codes("bin")[-2]) in where(unit.sku.lower())
    assert where("lot-q") == {("lot", site.codes("bin")[-2])}
    gtin_hits = where("9506000134352")
    assert ("gtin", site.codes("bin")[-1]) in gtin_hits and ("gtin", unit.location) in gtin_hits
    assert where(site.codes("bin")[5].lower()) == {("location", site.codes("bin")[5])}
    assert where("nothing-here") == set()
    assert find.find(conn, "OTHER-WH", unit.sscc) == []


def test_a_scanned_gs1_lot_finds_the_lot_with_the_masters_expiry(
        seeded: tuple[psycopg.Connection, Site]) -> None:
    conn, site = seeded
    bin_code = site.codes("bin")[-3]
    moved = item_move("SKU-GS1", 6, None, bin_code, lot="AB12", wh="WHQ")
    moved = moved.model_copy(update={"item": moved.item.model_copy(  # type: ignore[union-attr]
        update={"expiry": date(2027, 4, 30)})})
    apply_batch(conn, [moved], "test")
    # A GS1 label: GTIN (01), expiry (17), lot (10) — the lot is what the map looks for.
    hits = find.find(conn, "WHQ", "(01)09506000134352(17)270430(10)AB12")
    assert [(h["kind"], h["location"], h["lot"], h["expiry"]) for h in hits
            if h["kind"] == "lot"] == [("lot", bin_code, "AB12", "2027-04-30")]
    assert {h["expiry"] for h in find.find(conn, "WHQ", "ab12")} == {"2027-04-30"}


def test_a_serial_is_found_where_it_is_now_by_text_or_gs1_label(
        seeded: tuple[psycopg.Connection, Site]) -> None:
    conn, site = seeded
    first, then = site.codes("bin")[-4], site.codes("bin")[-5]
    moved = [item_move("SKU-SN", 1, src, dst, lot="LS", wh="WHQ", t=t) for t, (src, dst)
             in enumerate(((None, first), (first, then)))]
    moved = [m.model_copy(update={"item": m.item.model_copy(  # type: ignore[union-attr]
        update={"serial": "SN-0001"})}) for m in moved]
    apply_batch(conn, moved, "test")
    hits = [(h["kind"], h["location"], h["sku"]) for h in find.find(conn, "WHQ", "SN-0001")]
    assert hits == [("serial", then, "SKU-SN")]
    label = "(01)09506000134352(21)SN-0001"
    assert ("serial", then, "SKU-SN") in {
        (h["kind"], h["location"], h["sku"]) for h in find.find(conn, "WHQ", label)}
    assert find.find(conn, "OTHER-WH", "SN-0001") == []
