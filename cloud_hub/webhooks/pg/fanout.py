"""Moves into the webhook outbox: every committed move, once, to each active subscription of
move.applied (and unit.moved, for a unit's moves) whose filter it passes.

Rule kept here: the fan-out follows `moves` by seq behind a watermark (ledger/pg/watermark.py),
moving it in the same transaction as the deliveries it writes — a crash between the two is
impossible, a move committed late by another writer is not skipped, and the ledger's apply
path never waits for a webhook.
"""

from __future__ import annotations

import psycopg

from cloud_hub.ledger.pg.watermark import Refresh, Watermark, refresh

LOCK_KEY = 0x57_48_4F_4F_4B  # "WHOOK": one fan-out at a time across hub replicas
MARK = Watermark("webhook fan-out", "webhook_fanout_state", LOCK_KEY)

_MATCH = """
  JOIN webhook_subscriptions s ON s.active AND %(type)s = ANY(s.event_types)
   AND (s.warehouse IS NULL OR s.warehouse = m.warehouse)
   AND (s.sku IS NULL OR s.sku = m.sku)
   AND (s.location_prefix IS NULL OR starts_with(m.from_location, s.location_prefix)
        OR starts_with(m.to_location, s.location_prefix))
"""
_MOVE_DATA = """json_build_object(
  'event_id', m.event_id, 'seq', m.seq, 'occurred_at', m.occurred_at, 'warehouse', m.warehouse,
  'reason', m.reason, 'outcome', m.outcome, 'unit', m.unit_key, 'sku', m.sku,
  'lot', nullif(m.lot, ''), 'quantity', m.quantity, 'status', m.stock_status,
  'from_location', m.from_location, 'to_location', m.to_location,
  'source_kind', m.source_kind, 'device_id', m.device_id, 'user', m.user_id)"""
_UNIT_DATA = """json_build_object(
  'event_id', m.event_id, 'seq', m.seq, 'occurred_at', m.occurred_at, 'warehouse', m.warehouse,
  'unit', m.unit_key, 'from_location', m.from_location, 'to_location', m.to_location,
  'reason', m.reason)"""


def _insert(type_: str, prefix: str, data: str, only_units: bool) -> str:
    return f"""
INSERT INTO webhook_deliveries (subscription_id, message_id, event_type, payload, occurred_at)
SELECT s.id, '{prefix}' || m.event_id, %(type)s, {data}, m.occurred_at
  FROM moves m {_MATCH}
 WHERE m.seq > %(after)s AND m.seq <= %(through)s {"AND m.unit_key IS NOT NULL" if only_units
                                                  else ""}
 ORDER BY m.seq, s.id
ON CONFLICT (subscription_id, message_id) DO NOTHING
"""


_MOVES = _insert("move.applied", "msg_move_", _MOVE_DATA, only_units=False)
_UNITS = _insert("unit.moved", "msg_unit_", _UNIT_DATA, only_units=True)


def fold(conn: psycopg.Connection, after: int, through: int) -> int:
    """Queue the moves with seq in (after, through]; rows queued."""
    if conn.execute("SELECT NOT EXISTS (SELECT 1 FROM webhook_subscriptions WHERE active)"
                    ).fetchone() == (True,):
        return 0  # nobody listens: the watermark moves on alone
    rows = 0
    for sql, type_ in ((_MOVES, "move.applied"), (_UNITS, "unit.moved")):
        rows += conn.execute(sql, {"type": type_, "after": after, "through": through}).rowcount
    return rows


def fan_out(conn: psycopg.Connection, wait_s: float = 0.5) -> Refresh:
    """Bring the outbox up to the moves committed now (READ COMMITTED connection)."""
    return refresh(conn, MARK, fold, wait_s=wait_s)
