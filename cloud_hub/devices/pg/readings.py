"""Device readings in PostgreSQL: stored in batches with the place their device is registered
at, in monthly partitions made on demand; read back in time buckets for charts and rules.

Rule kept here: a reading keeps the location and zone its device had when it was stored (a
probe moved next week does not rewrite last week's temperatures); a month's partition is
created before the first write into it, by whichever writer gets there first.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg import errors, sql

from protocol.devices import ReadingMessage

_INSERT = """
INSERT INTO device_readings (received_at, warehouse, gateway, device_id, seq, kind, unit, value,
                             location, zone)
SELECT r.received_at, r.warehouse, r.gateway, r.device_id, r.seq, r.kind, r.unit, r.value,
       d.location, d.zone
  FROM unnest(%s::timestamptz[], %s::text[], %s::text[], %s::int[], %s::int[], %s::text[],
              %s::text[], %s::float8[])
       AS r(received_at, warehouse, gateway, device_id, seq, kind, unit, value)
  LEFT JOIN devices d USING (warehouse, gateway, device_id)
"""
_made: set[tuple[str, str]] = set()  # (database, partition) this process knows exist
LOCK_WAIT_MS = 200  # making a partition locks the parent: never stall ingest behind a reader


def _month(at: datetime) -> tuple[str, datetime, datetime]:
    at = at.astimezone(UTC)
    start = datetime(at.year, at.month, 1, tzinfo=UTC)
    end = datetime(at.year + (at.month == 12), at.month % 12 + 1, 1, tzinfo=UTC)
    return f"device_readings_{at:%Y_%m}", start, end


def ensure_partitions(conn: psycopg.Connection, instants: Iterable[datetime],
                      lock_wait_ms: int = LOCK_WAIT_MS) -> None:
    """Make the month partitions these instants fall in, unless they exist. Creating one takes
    an exclusive lock on device_readings; it waits at most `lock_wait_ms` for readers (a rules
    evaluation reading the readings), and otherwise leaves the month to the DEFAULT partition
    for now — a reading is never held up by it. The hub makes this month's and next month's
    at start, so the ingest path rarely needs to."""
    database = conn.info.dbname
    row = conn.execute("SELECT relkind FROM pg_class WHERE relname = 'device_readings'").fetchone()
    if row is None or row[0] != "p":
        return  # a TimescaleDB hypertable makes its own chunks
    for name, start, end in {_month(at) for at in instants}:
        if (database, name) in _made:
            continue
        if conn.execute("SELECT to_regclass(%s)", (name,)).fetchone() != (None,):
            _made.add((database, name))
            continue
        try:
            with conn.transaction():
                conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(
                    sql.Literal(f"{lock_wait_ms}ms")))
                conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} PARTITION OF "
                                     "device_readings FOR VALUES FROM ({}) TO ({})").format(
                    sql.Identifier(name), sql.Literal(start), sql.Literal(end)))
            _made.add((database, name))
        except errors.LockNotAvailable:
            continue  # busy: this batch lands in the DEFAULT partition, a later one retries
        except (errors.DuplicateTable, errors.CheckViolation, errors.InvalidObjectDefinition):
            _made.add((database, name))  # another writer made it, or DEFAULT holds the month


def store_readings(conn: psycopg.Connection, readings: Sequence[ReadingMessage]) -> int:
    """Store readings (one statement); rows written."""
    if not readings:
        return 0
    ensure_partitions(conn, [r.received_at for r in readings])
    cols = ([r.received_at for r in readings], [r.warehouse for r in readings],
            [r.gateway for r in readings], [r.device_id for r in readings],
            [r.seq for r in readings], [r.kind for r in readings], [r.unit for r in readings],
            [float(r.value) for r in readings])
    return conn.execute(_INSERT, cols).rowcount


@dataclass(frozen=True, slots=True)
class Bucket:
    start: datetime
    gateway: str
    device_id: int
    location: str | None
    kind: str
    unit: str
    count: int
    minimum: float
    maximum: float
    mean: float


BUCKETS = {"minute": "1 minute", "hour": "1 hour", "day": "1 day"}


def buckets(conn: psycopg.Connection, warehouse: str, *, start: datetime, end: datetime,
            bucket: str, kind: str | None = None, location: str | None = None,
            gateway: str | None = None, device_id: int | None = None,
            limit: int = 10_000) -> list[Bucket]:
    """Readings in [start, end) per device, kind and time bucket (date_bin: plain SQL)."""
    return [Bucket(*r) for r in conn.execute(
        "SELECT date_bin(%(step)s::interval, received_at, '2000-01-01'::timestamptz) AS b, "
        "gateway, device_id, location, kind, unit, count(*), min(value), max(value), "
        "avg(value) FROM device_readings WHERE warehouse = %(wh)s AND received_at >= %(start)s "
        "AND received_at < %(end)s AND (%(kind)s::text IS NULL OR kind = %(kind)s) "
        "AND (%(loc)s::text IS NULL OR location = %(loc)s) "
        "AND (%(gw)s::text IS NULL OR gateway = %(gw)s) "
        "AND (%(dev)s::int IS NULL OR device_id = %(dev)s) "
        "GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 5 LIMIT %(limit)s",
        {"step": BUCKETS[bucket], "wh": warehouse, "start": start, "end": end, "kind": kind,
         "loc": location, "gw": gateway, "dev": device_id, "limit": limit})]


@dataclass(frozen=True, slots=True)
class Device:
    warehouse: str
    gateway: str
    device_id: int
    location: str | None
    zone: str | None
    label: str
    updated_at: datetime


def put_device(conn: psycopg.Connection, warehouse: str, gateway: str, device_id: int, *,
               location: str | None, zone: str | None, label: str) -> Device:
    row = conn.execute(
        "INSERT INTO devices (warehouse, gateway, device_id, location, zone, label) "
        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (warehouse, gateway, device_id) DO UPDATE "
        "SET location = EXCLUDED.location, zone = EXCLUDED.zone, label = EXCLUDED.label, "
        "updated_at = now() RETURNING warehouse, gateway, device_id, location, zone, label, "
        "updated_at", (warehouse, gateway, device_id, location, zone, label)).fetchone()
    assert row is not None
    return Device(*row)


def list_devices(conn: psycopg.Connection, warehouse: str) -> list[Device]:
    return [Device(*r) for r in conn.execute(
        "SELECT warehouse, gateway, device_id, location, zone, label, updated_at FROM devices "
        "WHERE warehouse = %s ORDER BY gateway, device_id", (warehouse,))]


WINDOW_MINUTES = 15  # what the zone rule facts look back over


@dataclass(frozen=True, slots=True)
class ZoneWindow:
    """One kind of reading in one zone over the last WINDOW_MINUTES."""

    warehouse: str
    zone: str  # the devices' zone, or their location where they have no zone
    kind: str
    latest: float  # the highest of each device's latest reading
    minimum: float
    maximum: float
    minutes: int  # how many of the window's minutes hold at least one reading


_WINDOWS = """
WITH r AS (
  SELECT warehouse, coalesce(zone, location) AS zone, gateway, device_id, kind, value,
         received_at, floor(extract(epoch FROM %(now)s - received_at) / 60)::int AS minute
    FROM device_readings
   WHERE warehouse = ANY(%(whs)s) AND received_at > %(since)s AND received_at <= %(now)s
     AND (kind, unit) IN (('temperature', 'celsius'), ('humidity', 'percent'))
     AND coalesce(zone, location) IS NOT NULL
), latest AS (
  SELECT DISTINCT ON (warehouse, zone, kind, gateway, device_id) warehouse, zone, kind, value
    FROM r ORDER BY warehouse, zone, kind, gateway, device_id, received_at DESC
)
SELECT r.warehouse, r.zone, r.kind,
       (SELECT max(l.value) FROM latest l WHERE (l.warehouse, l.zone, l.kind) =
                                                (r.warehouse, r.zone, r.kind)),
       min(r.value), max(r.value), count(DISTINCT r.minute)
  FROM r GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"""


def zone_windows(conn: psycopg.Connection, warehouses: Collection[str], now: datetime
                 ) -> list[ZoneWindow]:
    """Temperature and humidity per zone of `warehouses` over (now − 15 min, now], from the
    readings of devices that had a zone or location when they read."""
    if not warehouses:
        return []
    return [ZoneWindow(*r) for r in conn.execute(_WINDOWS, {
        "whs": sorted(warehouses), "now": now, "since": now - timedelta(minutes=WINDOW_MINUTES)})]


def located_warehouses(conn: psycopg.Connection) -> list[str]:
    """Warehouses with a device registered at a zone or location: what a rules sweep reads."""
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT warehouse FROM devices WHERE coalesce(zone, location) IS NOT NULL "
        "ORDER BY 1")]
