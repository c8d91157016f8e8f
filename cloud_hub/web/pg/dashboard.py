"""The dashboard's figures: moves by source over a day, open tasks by type, what waits for a
supervisor (rejected moves, dead letters), open alerts, gateway health and reader clocks.

Rule kept here: a table another package owns (work_tasks, planning_alerts) may not exist yet;
its section then says `available: false` instead of failing the whole dashboard.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import psycopg

from cloud_hub.web.payloads import iso
from cloud_hub.web.pg.queries import OPEN_TASK_STATES, table_exists

SOURCES = ("rfid", "barcode", "vision", "pda", "system")
# edge/rfid/clock.py ClockState: a reader clock in one of WRONG_CLOCKS is worth a look (its
# reads are corrected by the gateway, but it is unset, drifted or stepped).
CLOCK_STATES = ("unknown", "ok", "offset", "uptime", "jumped")
WRONG_CLOCKS = ("offset", "jumped")
MAX_CLOCKS = 200
SEVERITY_ORDER = "CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END"
RECENT = 8


def moves_by_source(conn: psycopg.Connection, warehouse: str | None, start: datetime,
                    end: datetime, bucket: timedelta) -> dict[str, object]:
    """Counts per source kind per time bucket in [start, end), and totals per source."""
    n_buckets = max(1, min(400, int((end - start) / bucket)))
    series = {s: [0] * n_buckets for s in SOURCES}
    outcomes: dict[str, int] = {}
    for kind, outcome, slot, count in conn.execute(
            "SELECT source_kind, outcome, floor(extract(epoch FROM occurred_at - %(start)s) / "
            "%(bucket)s)::int AS slot, count(*) FROM moves WHERE occurred_at >= %(start)s "
            "AND occurred_at < %(end)s AND (%(wh)s::text IS NULL OR warehouse = %(wh)s) "
            "GROUP BY 1, 2, 3",
            {"start": start, "end": end, "bucket": bucket.total_seconds(), "wh": warehouse}):
        row = series.setdefault(kind, [0] * n_buckets)
        if 0 <= slot < n_buckets:
            row[slot] += count
        outcomes[outcome] = outcomes.get(outcome, 0) + count
    return {"start": iso(start), "end": iso(end), "bucket_s": bucket.total_seconds(),
            "series": series, "totals": {k: sum(v) for k, v in series.items()},
            "outcomes": outcomes}


def open_tasks(conn: psycopg.Connection, warehouse: str | None) -> dict[str, object]:
    if not table_exists(conn, "work_tasks"):
        return {"available": False, "by_kind": {}}
    by_kind: dict[str, dict[str, int]] = {}
    for kind, state, count in conn.execute(
            "SELECT kind, state, count(*) FROM work_tasks WHERE state = ANY(%s) "
            "AND (%s::text IS NULL OR warehouse = %s) GROUP BY 1, 2 ORDER BY 1, 2",
            (list(OPEN_TASK_STATES), warehouse, warehouse)):
        by_kind.setdefault(kind, {})[state] = count
    return {"available": True, "by_kind": by_kind}


def waiting(conn: psycopg.Connection, warehouse: str | None) -> dict[str, object]:
    """Rejected moves and dead letters nobody has resolved yet."""
    by_code = dict(conn.execute(
        "SELECT code, count(*) FROM rejected_moves WHERE resolved_at IS NULL "
        "AND (%s::text IS NULL OR warehouse = %s) GROUP BY 1 ORDER BY 2 DESC",
        (warehouse, warehouse)).fetchall())
    recent = [{"event_id": str(e), "received_at": iso(at), "code": c, "reason": r}
              for e, at, c, r in conn.execute(
                  "SELECT event_id, received_at, code, reason FROM rejected_moves WHERE "
                  "resolved_at IS NULL AND (%s::text IS NULL OR warehouse = %s) "
                  "ORDER BY received_at DESC LIMIT %s", (warehouse, warehouse, RECENT))]
    # a dead letter belongs to its topic's warehouse; one whose topic was not ours (NULL)
    # could be anybody's, so every warehouse sees it
    mine = "resolved_at IS NULL AND (%s::text IS NULL OR warehouse = %s OR warehouse IS NULL)"
    row = conn.execute(f"SELECT count(*) FROM dead_letters WHERE {mine}",
                       (warehouse, warehouse)).fetchone()
    letters = [{"id": i, "received_at": iso(at), "topic": t, "warehouse": w, "reason": r}
               for i, at, t, w, r in conn.execute(
                   f"SELECT id, received_at, topic, warehouse, reason FROM dead_letters WHERE "
                   f"{mine} ORDER BY received_at DESC LIMIT %s", (warehouse, warehouse, RECENT))]
    return {"rejected": {"open": sum(by_code.values()), "by_code": by_code, "recent": recent},
            "dead_letters": {"open": row[0] if row else 0, "recent": letters}}


def open_alerts(conn: psycopg.Connection, warehouse: str | None) -> dict[str, object]:
    if not table_exists(conn, "planning_alerts"):
        return {"available": False, "by_severity": {}, "items": []}
    where = "acknowledged_at IS NULL AND (%(wh)s::text IS NULL OR warehouse = %(wh)s)"
    by_severity = dict(conn.execute(
        f"SELECT severity, count(*) FROM planning_alerts WHERE {where} GROUP BY 1",
        {"wh": warehouse}).fetchall())
    keys = ("id", "rule", "warehouse", "subject", "sku", "severity", "message", "raised_at",
            "last_seen_at", "occurrences")
    items: list[dict[str, Any]] = []
    for r in conn.execute(
            f"SELECT {', '.join(keys)} FROM planning_alerts WHERE {where} "
            f"ORDER BY {SEVERITY_ORDER}, last_seen_at DESC LIMIT 25", {"wh": warehouse}):
        item = dict(zip(keys, r, strict=True))
        item["raised_at"], item["last_seen_at"] = iso(item["raised_at"]), iso(item["last_seen_at"])
        items.append(item)
    return {"available": True, "by_severity": by_severity, "items": items}


def gateway_health(conn: psycopg.Connection, warehouse: str | None) -> dict[str, int]:
    if not table_exists(conn, "gateways"):
        return {}
    return dict(conn.execute(
        "SELECT state, count(*) FROM gateways WHERE %s::text IS NULL OR warehouse = %s "
        "GROUP BY 1", (warehouse, warehouse)).fetchall())


def reader_clocks(conn: psycopg.Connection, warehouse: str | None) -> dict[str, object]:
    """Each RFID reader's clock as its gateway last reported it (heartbeat
    `sources.<source>.readers.<reader>.clock`), wrong ones first. A heartbeat is the gateway's
    own JSON: only well-formed entries are shown, at most MAX_CLOCKS."""
    if not table_exists(conn, "gateways"):
        return {"readers": [], "wrong": 0}
    out: list[dict[str, object]] = []
    for gateway, state, sources in conn.execute(
            "SELECT gateway, state, info -> 'sources' FROM gateways WHERE %s::text IS NULL "
            "OR warehouse = %s ORDER BY gateway LIMIT 500", (warehouse, warehouse)):
        room = MAX_CLOCKS - len(out)
        out += [{"gateway": gateway, "gateway_state": state, "reader": reader, **clock}
                for reader, clock in _clocks(sources)[:room]]
    out.sort(key=lambda r: (r["state"] not in WRONG_CLOCKS, r["gateway"], r["reader"]))
    return {"readers": out, "wrong": sum(r["state"] in WRONG_CLOCKS for r in out)}


def _clocks(sources: object) -> list[tuple[str, dict[str, object]]]:
    found: list[tuple[str, dict[str, object]]] = []
    for source in list(sources.values())[:16] if isinstance(sources, dict) else []:
        readers = source.get("readers") if isinstance(source, dict) else None
        for reader, entry in list(readers.items())[:64] if isinstance(readers, dict) else []:
            clock = entry.get("clock") if isinstance(entry, dict) else None
            if not isinstance(clock, dict) or clock.get("state") not in CLOCK_STATES:
                continue
            offset, jumps = clock.get("offset_s"), clock.get("jumps")
            found.append((str(reader)[:64], {
                "state": clock["state"],
                "kind": clock.get("kind") if clock.get("kind") in ("utc", "uptime") else None,
                "offset_s": float(offset) if _number(offset) else None,
                "jumps": int(jumps) if _number(jumps) else 0,
            }))
    return found


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and abs(value) < 1e12


def summary(conn: psycopg.Connection, warehouse: str | None, start: datetime, end: datetime,
            bucket: timedelta, now: datetime) -> dict[str, object]:
    return {"warehouse": warehouse, "as_of": iso(now),
            "moves": moves_by_source(conn, warehouse, start, end, bucket),
            "tasks": open_tasks(conn, warehouse), "waiting": waiting(conn, warehouse),
            "alerts": open_alerts(conn, warehouse), "gateways": gateway_health(conn, warehouse),
            "reader_clocks": reader_clocks(conn, warehouse)}
