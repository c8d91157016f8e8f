"""The map's pure JavaScript modules, run as they are in Chromium (served from the package by
Playwright routing, no server): plan and hit test, pallets and their animation, stock index,
view maths, the rasteriser and the colours."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route

from cloud_hub.web.api.pages import MEDIA_TYPES, asset_path

pytestmark = pytest.mark.ui
ORIGIN = "http://stockpulse.test"


@pytest.fixture(scope="module")
def js(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()

    def serve(route: Route) -> None:
        path = route.request.url.removeprefix(ORIGIN)
        if path == "/":
            route.fulfill(body="<!doctype html><title>core</title>", content_type="text/html")
            return
        found = asset_path(path.removeprefix("/web/"))
        if found is None:
            route.fulfill(status=404, body="")
        else:
            route.fulfill(body=found.read_bytes(), content_type=MEDIA_TYPES[found.suffix])

    page.route(f"{ORIGIN}/**", serve)
    page.goto(f"{ORIGIN}/")
    yield page
    context.close()


def run(page: Page, body: str) -> Any:
    """Evaluate `body` (an async function body) with the modules imported as L, U, S, V, R, P."""
    return page.evaluate(f"""async () => {{
      const L = await import('/web/js/layout.js'); const U = await import('/web/js/units.js');
      const S = await import('/web/js/stock.js'); const V = await import('/web/js/view.js');
      const R = await import('/web/js/raster.js'); const P = await import('/web/js/palette.js');
      const plan = {{ columns: ["code", "kind", "parent", "name", "x", "y", "width", "depth",
                                 "gateway", "zone_type", "capacity"],
        rows: [["Z", "zone", null, "Zone", 0, 0, 20, 10, null, "cold", null],
               ["R1", "rack", "Z", "", 2, 2, 2, 6, null, null, null],
               ["B1", "bin", "R1", "", 2, 2, 2, 2, null, null, 1],
               ["B2", "bin", "R1", "", 2, 4, 2, 2, null, null, 1],
               ["SHELF", "bin", "R1", "", null, null, null, null, null, null, null],
               ["D1", "dock_door", "Z", "", 10, 9, 4, 1, "gw-1", null, null]] }};
      {body}
    }}""")


def test_the_plan_keeps_drawable_rows_and_finds_the_most_specific(js: Page) -> None:
    got = run(js, """
      const lay = L.buildLayout(plan), grid = L.buildHitGrid(lay, 3);
      const at = (x, y) => {
        const i = L.hitTest(lay, grid, x, y); return i < 0 ? null : lay.code[i]; };
      return { n: lay.n, order: lay.code, bounds: lay.bounds,
               shelf: lay.code[L.drawnIndex(lay, "SHELF")], unknown: L.drawnIndex(lay, "NOPE"),
               bin: at(3, 3), bin2: at(3, 5), rack: at(3, 7.5), zone: at(15, 2),
               door: at(11, 9.5), outside: at(30, 30), gw: lay.gateway[lay.index.get("D1")] };""")
    assert got["n"] == 5  # SHELF has no footprint: drawn at its rack
    assert got["order"] == ["Z", "R1", "B1", "B2", "D1"]  # areas under racks under bins
    assert got["bounds"] == {"minX": 0, "minY": 0, "maxX": 20, "maxY": 10}
    assert (got["shelf"], got["unknown"]) == ("R1", -1)
    assert (got["bin"], got["bin2"], got["rack"], got["zone"], got["door"], got["outside"]) == \
        ("B1", "B2", "R1", "Z", "D1", None)
    assert got["gw"] == "gw-1"


def test_a_move_animates_from_the_old_place_to_the_new(js: Page) -> None:
    got = run(js, """
      const lay = L.buildLayout(plan), st = new U.UnitStore(lay);
      st.load([["u1", "B1", 0, "available"], ["u2", "B1", 0, "quarantine"]]);
      const two = st.at(lay.index.get("B1")).map((k) => [st.units.get(k).x, st.units.get(k).y]);
      const u = st.move("u1", "B2", 5, 1000);
      const start = [u.x, u.y]; st.advance(1000 + U.MOVE_MS / 2); const mid = [u.x, u.y];
      const moving = st.advance(1000 + U.MOVE_MS); const end = [u.x, u.y];
      const alone = [st.units.get("u2").x, st.units.get("u2").y];
      st.move("u2", null, 9, 2000);
      const n = st.move("u9", "SHELF", 1, 3000);
      return { two, start, mid, end, moving, alone, since: u.since, left: st.units.has("u2"),
               size: st.size, appear: [n.loc, n.idx === lay.index.get("R1")] };""")
    (a, b) = got["two"]
    assert abs(a[0] - b[0]) + abs(a[1] - b[1]) >= 0.9  # two pallets in one bin: side by side
    assert got["start"] == a  # the move starts where the pallet was drawn
    assert got["end"] == [3, 5] and got["moving"] is False  # ...and ends at the centre of B2
    assert a[0] < got["mid"][0] or a[1] < got["mid"][1] < 5  # in between, half way through
    assert got["alone"] == [3, 3]  # the pallet left behind takes the middle of B1
    assert got["since"] == 5 and got["left"] is False and got["size"] == 2
    assert got["appear"] == ["SHELF", True]


def test_stock_summary_follows_absolute_balances(js: Page) -> None:
    got = run(js, """
      const s = new S.StockIndex();
      s.load([["B1", "A", "L1", "available", 5], ["B1", "A", "L2", "quarantine", 0]]);
      const r = [s.summary("B1")];
      r.push(s.set("B1", "A", "L2", "quarantine", 3), s.summary("B1"));
      r.push(s.set("B1", "A", "L2", "quarantine", 3), s.summary("B1"));
      r.push(s.set("B1", "A", "L2", "quarantine", 0), s.set("B1", "A", "L1", "available", 0),
             s.summary("B1"));
      return r;""")
    assert got == [{"quantity": 5, "status": "available"},
                   True, {"quantity": 8, "status": "quarantine"},
                   False, {"quantity": 8, "status": "quarantine"},
                   True, True, {"quantity": 0, "status": None}]


def test_zoom_keeps_the_point_under_the_cursor(js: Page) -> None:
    got = run(js, """
      const v = V.fitView({minX: 0, minY: 0, maxX: 100, maxY: 50}, 800, 600, 10);
      const before = V.toWorld(v, 123, 456), z = V.zoomAt(v, 123, 456, 3.7);
      const after = V.toWorld(z, 123, 456);
      const [x0, y0] = V.toScreen(v, 0, 0), [x1, y1] = V.toScreen(v, 100, 50);
      return { before, after, ratio: z.scale / v.scale, box: [x0, y0, x1, y1],
               clamp: V.zoomAt(v, 0, 0, 1e9).scale };""")
    assert got["before"] == pytest.approx(got["after"])
    assert got["ratio"] == pytest.approx(3.7)
    x0, y0, x1, y1 = got["box"]
    assert x0 >= 10 and y0 >= 10 and x1 <= 790 and y1 <= 590
    assert got["clamp"] == 400  # MAX_SCALE


def test_the_rasteriser_snaps_clips_and_writes_rgba(js: Page) -> None:
    got = run(js, """
      const b = new R.PixelBuffer(10, 4);
      b.clear(R.pixel("#000000"));
      b.fill(-5, 1, 7.4, 2, R.pixel("#ff8000"));   // clipped on the left, snapped to 2 px
      b.fill(9.6, 0, 0.2, 1, R.pixel("#00ff00"));  // thinner than a pixel: still one pixel
      b.fill(50, 50, 5, 5, R.pixel("#ffffff"));    // wholly outside: nothing
      const px = (x, y) => Array.from(b.image.data.slice((y * 10 + x) * 4, (y * 10 + x + 1) * 4));
      return { orange: px(1, 2), edge: px(2, 1), black: px(3, 1), green: px(9, 0),
               top: px(0, 0) };""")
    assert got["orange"] == [255, 128, 0, 255] and got["edge"] == [0, 0, 0, 255]
    assert got["black"] == [0, 0, 0, 255] and got["top"] == [0, 0, 0, 255]
    assert got["green"] == [0, 255, 0, 255]


def test_status_beats_dwell_and_dwell_buckets_are_ordered(js: Page) -> None:
    got = run(js, """
      const H = 3600e3;
      return [P.dwellBucket(-5), P.dwellBucket(H - 1), P.dwellBucket(H), P.dwellBucket(40 * 24 * H),
              P.unitBucket("quarantine", 0), P.unitBucket("damaged", 99 * 24 * H),
              P.unitBucket("available", 2 * H), P.unitBucket("recalled", 0),
              P.BUCKET_COLOURS.length];""")
    assert got == [0, 0, 1, 4, 5, 6, 1, 7, 8]


def test_the_trace_core_reads_steps_as_a_manager_does(js: Page) -> None:
    got = js.evaluate("""async () => {
      const T = await import('/web/js/tracecore.js');
      const s = (kind, q, frm, to, extra = {}) => ({ kind, quantity: q, from_location: frm,
        to_location: to, unit: null, via_unit: false, status: "available", to_status: null,
        receipt: null, order: null, user: null, ...extra });
      const steps = [
        s("receive", 10, null, "DOCK", { unit: "sscc:1", via_unit: true, receipt: "R1" }),
        s("adjust", 2, "BIN", "BIN", { to_status: "quarantine" }),
        s("unpack", 4, "BIN", "STAGE", { unit: "sscc:1" }),
        s("ship", 4, "PACK", null, { unit: "sscc:2", via_unit: true, order: "O1" }),
        s("ship", 1, "PACK", null, { order: "O2" })];
      const report = { steps, receipts: [{ supplier: "ACME" }, { supplier: "ACME" }],
        now: { on_hand: 6, at_locations: [{ location: "BIN", status: "available", quantity: 4 },
                                          { location: "BIN", status: "quarantine", quantity: 2 }] },
        units: ["sscc:1", "sscc:2"], orders: [{ order_id: "O1" }, { order_id: "O2" }] };
      return { phases: steps.map(T.phase), said: steps.map(T.describe), refs: T.refs(steps[0]),
               flow: T.flow(report), shipped: [...T.shippedByOrder(steps)] };
    }""")
    assert got["phases"] == ["in", "held", "inside", "out", "out"]
    assert got["said"][0] == "Received 10 on 1: outside → DOCK"
    assert got["said"][2] == "Unpacked 4 out of 1: BIN → STAGE"
    assert got["said"][3] == "Shipped 4 on 2: PACK → out of the warehouse"
    assert got["refs"] == ["receipt R1"]
    assert got["flow"] == {"suppliers": ["ACME"], "receipts": 2, "received": 10, "onHand": 6,
                           "locations": 1, "held": 2, "units": 2, "orders": ["O1", "O2"],
                           "shipped": 5}
    assert got["shipped"] == [["O1", 4], ["O2", 1]]
