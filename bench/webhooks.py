"""Benchmark: webhook deliveries per second to a real receiver that is killed and restarted
midway, and what was lost or duplicated (issue 23's webhook figures).

A throw-away database; --events moves applied through the ledger (apply_batch, 500 a batch);
one subscription to a local HTTP receiver (tests/webhooks/receiver.py, Standard Webhooks
signatures verified) in its own process (bench/webhook_receiver.py); the real dispatcher
thread (cloud_hub/webhooks/notify/sender.py). When half the messages have arrived the receiver
is killed (SIGKILL); --down-s later it starts again on the same port and the dispatcher's
backoff brings the queue home. Prints one JSON line:
deliveries per second over the whole run (outage and backoff included) and before the
outage (steady), lost (never received) and
duplicates (received more than once: at-least-once delivery; receivers dedupe on webhook-id).

    .venv/bin/python bench/webhooks.py --events 20000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cloud_hub.catalog.model import Location  # noqa: E402
from cloud_hub.catalog.pg.store import upsert_locations  # noqa: E402
from cloud_hub.db.database import connect, open_pool  # noqa: E402
from cloud_hub.ledger.pg.store import apply_batch  # noqa: E402
from cloud_hub.webhooks.model import EventType, Filter  # noqa: E402
from cloud_hub.webhooks.notify.sender import WebhookDispatcher  # noqa: E402
from cloud_hub.webhooks.pg import store  # noqa: E402
from tests.conftest import scratch_database  # noqa: E402
from tests.hub_fixtures import free_port  # noqa: E402
from tests.ledger.factories import item_move  # noqa: E402


def _receiver(port: int, secret: str, out: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "webhook_receiver.py"),
                             "--port", str(port), "--secret", secret, "--out", str(out)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def _received(out: Path) -> list[str]:
    return out.read_text().split() if out.exists() else []


def _wait_until(out: Path, count: int, timeout_s: float = 600) -> None:
    """Polls the receiver's file (another process: there is no event to await)."""
    deadline = time.monotonic() + timeout_s
    while len(set(_received(out))) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def measure(events: int, down_s: float) -> dict[str, object]:
    port = free_port()
    with scratch_database() as url, tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ids.txt"
        with connect(url) as conn:
            upsert_locations(conn, [Location("BIN-A", "WH1", "bin")])
        pool = open_pool(url, 1, 8)
        with pool.connection() as conn:
            _, secret = store.create(
                conn, name="bench", url=f"http://127.0.0.1:{port}/hooks",
                event_types=[EventType.MOVE_APPLIED], filter=Filter(), allow_private=True,
                created_by="bench")
        moves = [item_move("S1", 1, None, "BIN-A", t=i) for i in range(events)]
        with pool.connection() as conn:
            for i in range(0, events, 500):
                apply_batch(conn, moves[i:i + 500], "bench")
        receiver = _receiver(port, secret, out)
        dispatcher = WebhookDispatcher(pool, interval_s=0.05)
        start = time.perf_counter()
        dispatcher.start()
        _wait_until(out, events // 2)
        half_s = time.perf_counter() - start
        receiver.kill()  # SIGKILL: whatever it was doing is lost
        receiver.wait()
        time.sleep(down_s)  # the receiver stays down this long
        receiver = _receiver(port, secret, out)
        _wait_until(out, events)
        seconds = time.perf_counter() - start
        dispatcher.stop()
        pool.close()
        receiver.kill()
        receiver.wait()
        ids = _received(out)
    return {"webhook_events": events, "webhook_seconds": round(seconds, 2),
            "webhook_deliveries_per_s": round(len(set(ids)) / seconds),
            "webhook_steady_per_s": round(events // 2 / half_s),  # before the outage
            "webhook_lost": len({f"msg_move_{m.event_id}" for m in moves} - set(ids)),
            "webhook_duplicates": len(ids) - len(set(ids)),
            "webhook_in_order": list(dict.fromkeys(ids)) == [f"msg_move_{m.event_id}"
                                                             for m in moves],
            "receiver_down_s": down_s}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--events", type=int, default=20_000)
    p.add_argument("--down-s", type=float, default=3.0)
    args = p.parse_args()
    print(json.dumps(measure(args.events, args.down_s)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
