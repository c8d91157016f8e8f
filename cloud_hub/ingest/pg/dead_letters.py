"""Dead letters in PostgreSQL: what the hub could not apply, kept with its reason.

Rule kept here: a stored dead letter is bounded — at most `max_raw` bytes of what came (a
prefix), with its whole size and SHA-256 beside it; text is cleaned so the row itself can
always be written (no NUL, a bounded reason). Lists are pages (newest first, `before` an id)
that never carry the payloads; one letter's payload is read alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

MAX_REASON = 2000
MAX_TOPIC = 1024
PREVIEW_CHARS = 2000  # of the payload, shown in lists as text


@dataclass(frozen=True, slots=True)
class NewLetter:
    topic: str | None
    warehouse: str | None
    source: str  # 'mqtt' or 'rest'
    reason: str
    raw: bytes


def clean(text: str | None, limit: int) -> str | None:
    """Text PostgreSQL will store: NUL spelled out, lone surrogates replaced, bounded."""
    if text is None:
        return None
    text = text.replace("\x00", "\\0")[:limit]
    return text.encode("utf-8", "replace").decode("utf-8") if not text.isascii() else text


def insert_letters(conn: psycopg.Connection, letters: Sequence[NewLetter], max_raw: int) -> None:
    conn.cursor().executemany(
        "INSERT INTO dead_letters (topic, warehouse, source, reason, raw, raw_size, raw_sha256) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s)",
        [(clean(d.topic, MAX_TOPIC), clean(d.warehouse, 64), d.source,
          clean(d.reason, MAX_REASON) or "unreadable", d.raw[:max_raw], len(d.raw),
          hashlib.sha256(d.raw).digest()) for d in letters])


SUMMARY = ("id, received_at, topic, warehouse, source, reason, "
           "COALESCE(raw_size, octet_length(raw)), encode(COALESCE(raw_sha256, sha256(raw)), "
           "'hex'), octet_length(raw), substring(raw FROM 1 FOR %s), "
           "resolved_at, resolved_by, replayed_at, replay")
SUMMARY_KEYS = ("id", "received_at", "topic", "warehouse", "source", "reason", "raw_size",
                "raw_sha256", "raw_stored", "raw_preview", "resolved_at", "resolved_by",
                "replayed_at", "replay")


def _summary(row: Sequence[Any]) -> dict[str, Any]:
    out = dict(zip(SUMMARY_KEYS, row, strict=True))
    out["raw_truncated"] = out["raw_stored"] < out["raw_size"]
    preview = bytes(out.pop("raw_preview") or b"")
    out["raw_text"] = preview.decode("utf-8", "replace")[:PREVIEW_CHARS]
    return out


def list_letters(conn: psycopg.Connection, warehouse: str | None, include_resolved: bool,
                 limit: int, before: int | None) -> list[dict[str, Any]]:
    """One page, newest first: letters with id < `before` (all when None). With `warehouse`,
    those that came on its topics and those whose topic was not one of ours."""
    rows = conn.execute(
        f"SELECT {SUMMARY} FROM dead_letters WHERE (%s::text IS NULL OR warehouse = %s "
        "OR warehouse IS NULL) AND (%s OR resolved_at IS NULL) "
        "AND (%s::bigint IS NULL OR id < %s) ORDER BY id DESC LIMIT %s",
        (PREVIEW_CHARS, warehouse, warehouse, include_resolved, before, before,
         limit)).fetchall()
    return [_summary(r) for r in rows]


def get_letter(conn: psycopg.Connection, letter_id: int) -> tuple[dict[str, Any], bytes] | None:
    """One letter's summary and the payload bytes stored for it."""
    row = conn.execute(f"SELECT {SUMMARY}, raw FROM dead_letters WHERE id = %s",
                       (PREVIEW_CHARS, letter_id)).fetchone()
    if row is None:
        return None
    return _summary(row[:-1]), bytes(row[-1])


def record_replay(conn: psycopg.Connection, letter_id: int, at: datetime, by: str,
                  report: dict[str, Any], resolved: bool) -> None:
    conn.execute("UPDATE dead_letters SET replayed_at = %s, replay = %s, "
                 "resolved_at = CASE WHEN %s THEN %s ELSE resolved_at END, "
                 "resolved_by = CASE WHEN %s THEN %s ELSE resolved_by END WHERE id = %s",
                 (at, Jsonb(report), resolved, at, resolved, by, letter_id))


def resolve_letter(conn: psycopg.Connection, letter_id: int, at: datetime, by: str) -> bool:
    """Mark an open letter resolved by a supervisor; False when there is no open one."""
    cur = conn.execute("UPDATE dead_letters SET resolved_at = %s, resolved_by = %s "
                       "WHERE id = %s AND resolved_at IS NULL", (at, by, letter_id))
    return cur.rowcount > 0
