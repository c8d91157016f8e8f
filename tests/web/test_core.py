"""The web package's pure parts: query reading, JSON shapes, the site generator, asset paths."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from cloud_hub.web.api.pages import asset_path
from cloud_hub.web.payloads import LAYOUT_COLUMNS, layout_row, number, worst_status
from cloud_hub.web.search import read_terms
from cloud_hub.web.sitegen import arrival_moves, generate_site
from protocol.labels import with_check_digit


@pytest.mark.parametrize(("query", "sscc", "gtin14", "epc"), [
    ("012345600000000036", "012345600000000036", None, "012345600000000036"),
    ("(00)012345600000000036", "012345600000000036", None, None),
    ("00012345600000000036", "012345600000000036", None, "00012345600000000036"),
    ("09506000134352", None, "09506000134352", "09506000134352"),
    ("9506000134352", None, "09506000134352", "9506000134352"),
    ("3034257bf400b7800004cb2f", None, None, "3034257BF400B7800004CB2F"),
    ("SKU-0001", None, None, None),
    ("  L042 ", None, None, None),
])
def test_a_query_is_read_as_every_identifier_it_could_be(query: str, sscc: str | None,
                                                         gtin14: str | None,
                                                         epc: str | None) -> None:
    terms = read_terms(query, date(2026, 5, 1))
    assert (terms.text, terms.sscc, terms.gtin14, terms.epc) == (query.strip(), sscc, gtin14, epc)


def test_quantities_travel_as_json_numbers() -> None:
    assert number(Decimal("12")) == 12 and isinstance(number(Decimal("12.000")), int)
    assert number(Decimal("2.5")) == 2.5
    assert number(None) is None


def test_worst_status_wins() -> None:
    assert worst_status(["available", "damaged", "quarantine"]) == "damaged"
    assert worst_status(["available", "quarantine"]) == "quarantine"
    assert worst_status([]) == "available"


def test_layout_rows_name_the_gateway_and_zone_type() -> None:
    row = layout_row("DD01", "dock_door", "DOCK", "Door 1", 1.0, 2.0, 4.0, 1.5,
                     {"gateway": "gw-1", "zone_type": "cold"}, Decimal("3"))
    assert dict(zip(LAYOUT_COLUMNS, row, strict=True)) == {
        "code": "DD01", "kind": "dock_door", "parent": "DOCK", "name": "Door 1", "x": 1.0,
        "y": 2.0, "width": 4.0, "depth": 1.5, "gateway": "gw-1", "zone_type": "cold",
        "capacity": 3}


def test_sscc_check_digit_follows_gs1() -> None:
    # GS1 General Specifications' worked example: 37610425002123456 -> check digit 9
    assert with_check_digit("37610425002123456") == "376104250021234569"


def test_the_same_arguments_give_the_same_site() -> None:
    a = generate_site("WH1", 500, 120, seed=3)
    b = generate_site("WH1", 500, 120, seed=3)
    assert a == b
    assert len(a.codes("bin")) == 500 and len(a.units) == 120
    assert len({u.location for u in a.units}) == 120  # one pallet per bin while bins last
    assert all(loc.attributes.get("gateway") for loc in a.locations
               if loc.kind in ("dock_door", "portal"))
    codes = {loc.code for loc in a.locations}
    assert all(loc.parent in codes for loc in a.locations if loc.parent)


def test_bins_sit_inside_their_racks_and_never_overlap() -> None:
    site = generate_site("WH1", 300, 0, bins_per_rack=25)
    by_code = {loc.code: loc for loc in site.locations}
    bins = [loc for loc in site.locations if loc.kind == "bin"]
    for b in bins:
        rack = by_code[b.parent]  # type: ignore[index]
        assert rack.x <= b.x and b.x + b.width <= rack.x + rack.width + 1e-9  # type: ignore[operator]
        assert rack.y <= b.y and b.y + b.depth <= rack.y + rack.depth + 1e-9  # type: ignore[operator]
    corners = {(round(b.x, 3), round(b.y, 3)) for b in bins}  # type: ignore[arg-type]
    assert len(corners) == len(bins)


def test_arrival_moves_put_each_pallet_in_its_place_at_its_age() -> None:
    site = generate_site("WH1", 50, 10)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    moves = arrival_moves(site, now)
    assert [m.to_location for m in moves] == [u.location for u in site.units]
    assert [m.unit.sscc for m in moves] == [u.sscc for u in site.units]  # type: ignore[union-attr]
    assert all(m.occurred_at <= now for m in moves)
    assert arrival_moves(site, now) == moves  # stable ids: re-seeding is a no-op


@pytest.mark.parametrize("path", ["../routes.py", "../../pyproject.toml", "/etc/passwd",
                                  "js/../../pages.py", "nope.js"])
def test_assets_outside_static_are_never_served(path: str) -> None:
    assert asset_path(path) is None


def test_assets_inside_static_are_found() -> None:
    found = asset_path("js/map.js")
    assert found is not None and found.name == "map.js"
