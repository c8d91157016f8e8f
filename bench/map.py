"""Live map benchmark: page load to first full draw of 20,000 bins and 5,000 pallets, and the
frame times (requestAnimationFrame intervals inside the page) while 200 moves/s stream in.

Default: a real hub in this process (PostgreSQL on 127.0.0.1, a scratch database, moves posted
through the apply path so they reach the browser over /api/v1/live). `--synthetic` measures
the browser alone against bench/synthetic_hub.py. Prints one JSON line last.

  .venv/bin/python bench/map.py [--bins 20000 --pallets 5000 --rate 200 --seconds 10]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import socket
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 "--disable-quic"]
VIEWPORT = {"width": 1400, "height": 860}
FRAME_PROBE = """() => { window.__frames = []; let last = null;
  const tick = (t) => { if (last !== null) window.__frames.push(t - last); last = t;
    if (!window.__stopFrames) requestAnimationFrame(tick); };
  requestAnimationFrame(tick); }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def browser_cpu_s() -> float:
    """CPU seconds used so far by every Chromium process (the renderer, GPU/compositor, ...)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        if "chrom" in name:
            fields = text[text.rindex(")") + 2:].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered else 0.0


@contextlib.contextmanager
def synthetic_server(bins: int, pallets: int) -> Iterator[tuple[str, str, callable]]:
    from synthetic_hub import build_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(build_app(bins, pallets), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline:
            raise TimeoutError("synthetic hub did not start")
        time.sleep(0.05)  # uvicorn offers no event to await for "started"

    def stream(rate: int, seconds: float) -> threading.Thread:
        httpx.post(f"{base}/_synthetic/stream", params={"rate": rate, "seconds": seconds})
        t = threading.Thread(target=time.sleep, args=(seconds,))
        t.start()
        return t

    try:
        yield base, "synthetic", "BENCH", stream
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextlib.contextmanager
def real_hub(bins: int, pallets: int) -> Iterator[tuple[str, str, str, callable]]:
    """`python -m cloud_hub serve` in its own process (as deployed), on a scratch database."""
    from cloud_hub.catalog.pg.store import upsert_locations
    from cloud_hub.db.database import connect
    from cloud_hub.web.sitegen import arrival_moves, generate_site
    from tests.hub_fixtures import ADMIN, ensure_admin, hub_process, hub_settings, wait_http
    from tests.web.conftest import scratch_database

    warehouse = f"BENCH{uuid.uuid4().hex[:6]}"
    site = generate_site(warehouse, bins, pallets)
    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    with scratch_database(admin) as db_url:
        with connect(db_url) as conn:
            upsert_locations(conn, list(site.locations))
        ensure_admin(db_url)
        settings = hub_settings(db_url, mqtt_enabled=False)
        with hub_process(settings):
            base = f"http://127.0.0.1:{settings.port}"
            wait_http(f"{base}/healthz", timeout=60)
            token = httpx.post(f"{base}/api/v1/auth/token", timeout=30,
                               json={"username": ADMIN[0], "password": ADMIN[1]}
                               ).json()["access_token"]
            mover = HubMover(base, token, site)
            mover.post(arrival_moves(site, datetime.now(UTC)), 1000)
            yield base, token, warehouse, mover.stream


class HubMover:
    """Posts pallet moves to free bins through POST /api/v1/moves at a steady rate; the
    batches are built and encoded before the clock starts, so timing sends only bytes."""

    def __init__(self, base: str, token: str, site: object) -> None:
        self.base, self.token, self.site = base, token, site
        self.where = {u.sscc: u.location for u in site.units}  # type: ignore[attr-defined]
        taken = set(self.where.values())
        self.free = [c for c in site.codes("bin") if c not in taken]  # type: ignore[attr-defined]
        self.rng = random.Random(3)
        self.sent = 0
        self.elapsed = 0.0

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=60, headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})

    def post(self, moves: list[object], per_request: int) -> None:
        from protocol import encode_batch

        with self.client() as api:
            for i in range(0, len(moves), per_request):
                api.post("/api/v1/moves",
                         content=encode_batch(moves[i:i + per_request])).raise_for_status()

    def _moves(self, n: int) -> list[object]:
        from protocol.events import Source, StockMoved, UnitRef

        out = []
        ssccs = list(self.where)
        for _ in range(n):
            sscc = self.rng.choice(ssccs)
            slot = self.rng.randrange(len(self.free))
            src, dst = self.where[sscc], self.free[slot]
            self.free[slot], self.where[sscc] = src, dst
            out.append(StockMoved(
                event_id=uuid.uuid4(), occurred_at=datetime.now(UTC),
                warehouse=self.site.warehouse, source=Source(kind="rfid", device_id="bench"),  # type: ignore[attr-defined]
                unit=UnitRef(sscc=sscc), from_location=src, to_location=dst, reason="transfer"))
        return out

    def _run(self, bodies: list[bytes], tick: float) -> None:
        """One batch per tick, in order, as one gateway would send them."""
        with self.client() as api:
            start = time.monotonic()
            for i, body in enumerate(bodies):
                time.sleep(max(0.0, start + i * tick - time.monotonic()))
                api.post("/api/v1/moves", content=body).raise_for_status()
                self.sent += body.count(b'"event_id"')
            self.elapsed = time.monotonic() - start

    def stream(self, rate: int, seconds: float, tick: float = 0.1) -> threading.Thread:
        from protocol import encode_batch

        per_tick = max(1, round(rate * tick))
        bodies = [encode_batch(self._moves(per_tick)) for _ in range(int(seconds / tick))]
        self.sent, self.elapsed = 0, 0.0
        t = threading.Thread(target=self._run, args=(bodies, tick), daemon=True)
        t.start()
        t.stats = self  # type: ignore[attr-defined]
        return t


def signed_in_page(browser: Browser, base: str, token: str) -> Page:
    context = browser.new_context(viewport=VIEWPORT)
    session = json.dumps({"access_token": token, "token_type": "bearer", "roles": ["manager"],
                          "username": "bench"})
    context.add_init_script(f"sessionStorage.setItem('stockpulse.session', {json.dumps(session)})")
    page = context.new_page()
    page.goto(f"{base}/login")  # same origin first, so the init script can seed sessionStorage
    return page


def first_draw(browser: Browser, base: str, token: str, warehouse: str) -> dict[str, float]:
    page = signed_in_page(browser, base, token)
    page.goto(f"{base}/map?warehouse={warehouse}")
    page.wait_for_function("window.__map && window.__map.ready", timeout=60000)
    out = page.evaluate("({first: __map.firstDrawMs, loaded: __map.loadedMs, "
                        "n: __map.locations, units: __map.unitCount})")
    page.context.close()
    return out


def measure(args: argparse.Namespace) -> dict[str, object]:
    server = synthetic_server if args.synthetic else real_hub
    t0 = time.monotonic()
    with server(args.bins, args.pallets) as (base, token, warehouse, stream), \
            sync_playwright() as p:
        setup_s = time.monotonic() - t0
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        loads = [first_draw(browser, base, token, warehouse) for _ in range(args.loads)]
        page = signed_in_page(browser, base, token)
        page.goto(f"{base}/map?warehouse={warehouse}")
        page.wait_for_function("window.__map && window.__map.ready", timeout=60000)
        page.wait_for_function("document.getElementById('conn').textContent === 'live'",
                               timeout=30000)
        page.wait_for_timeout(500)  # let the first-load work settle before timing frames
        page.evaluate(FRAME_PROBE)
        idle_cpu0 = browser_cpu_s()
        page.wait_for_timeout(2000)  # an idle baseline: what this machine gives with no moves
        idle_cpu_s = (browser_cpu_s() - idle_cpu0) / 2.0
        idle = page.evaluate("window.__frames.splice(0)")
        before = page.evaluate("__map.counts.move")
        streaming = stream(args.rate, args.seconds)  # builds its batches, then starts sending
        page.evaluate("window.__frames.splice(0)")  # frames from before the first move
        draws_before = page.evaluate("__map.drawMs().length")
        started, cpu0 = time.monotonic(), browser_cpu_s()
        streaming.join()
        cpu_s = browser_cpu_s() - cpu0
        stream_s = getattr(getattr(streaming, "stats", None), "elapsed", 0.0) or \
            time.monotonic() - started
        page.wait_for_timeout(600)  # the last moves' animations
        page.evaluate("window.__stopFrames = true")
        frames = page.evaluate("window.__frames")
        draw_ms = page.evaluate("__map.drawMs()")[draws_before:]
        counts = page.evaluate("__map.counts")
        received = counts["move"] - before
        if args.find:  # for a README picture: what a manager sees after a search
            page.evaluate("q => __map.find(q).then(h => h.length && __map.select(h[0].location))",
                          args.find)
            page.wait_for_function("() => __map.detail !== null", timeout=10000)
            page.wait_for_timeout(300)
        if args.screenshot:
            page.screenshot(path=args.screenshot)
        browser.close()
    firsts = [x["first"] / 1000 for x in loads]
    return {
        "server": "synthetic" if args.synthetic else "hub", "bins": args.bins,
        "pallets": args.pallets, "locations_drawn": loads[0]["n"],
        "pallets_drawn": loads[0]["units"], "setup_s": round(setup_s, 1),
        "first_draw_s": round(statistics.median(firsts), 3),
        "first_draw_cold_s": round(firsts[0], 3),
        "first_draw_runs_s": [round(f, 3) for f in firsts],
        "moves_per_s_sent": args.rate, "moves_received": received,
        "ws_dropped": counts["dropped"], "stream_s": round(stream_s, 2),
        "moves_per_s_received": round(received / stream_s, 1),
        "frames": len(frames), "frame_ms_p50": round(percentile(frames, 50), 1),
        "frame_ms_p95": round(percentile(frames, 95), 1),
        "frame_ms_max": round(max(frames, default=0), 1),
        "draw_ms_p95": round(percentile(draw_ms, 95), 2),
        "idle_frame_ms_p95": round(percentile(idle, 95), 1),
        "browser_cpu_per_s": round(cpu_s / stream_s, 2),
        "idle_browser_cpu_per_s": round(idle_cpu_s, 2),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--bins", type=int, default=20000)
    ap.add_argument("--pallets", type=int, default=5000)
    ap.add_argument("--rate", type=int, default=200, help="moves per second streamed in")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--loads", type=int, default=3, help="page loads timed for first draw")
    ap.add_argument("--synthetic", action="store_true", help="stand-in hub, browser alone")
    ap.add_argument("--screenshot", help="save a PNG of the map after the stream")
    ap.add_argument("--find", help="search this before the screenshot and open the first hit")
    args = ap.parse_args()
    print(json.dumps(measure(args)))


if __name__ == "__main__":
    main()
