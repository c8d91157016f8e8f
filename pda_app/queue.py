"""SqliteQueue: the PDA's durable outbox of confirmations, skips and exception reports.

Rule kept here: an item is on disk (WAL, synchronous=FULL) before the picker sees "sent";
it leaves the pending list only with the hub's answer, and a refusal stays as a conflict
until the picker acknowledges it. Order is the order of `put` (seq), across restarts.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

from pda_app.flows.sync import ItemState, QueuedItem

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    task_id TEXT NOT NULL,
    step_id TEXT,
    path TEXT NOT NULL,
    body TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    code TEXT,
    message TEXT,
    answer TEXT
);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, seq);
CREATE TABLE IF NOT EXISTS memory (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_COLUMNS = "seq, key, kind, task_id, step_id, created_at, state, attempts, code, message, summary"


class QueueError(RuntimeError):
    """The local queue file cannot be used (disk full, corrupt file)."""


class SqliteQueue:
    """A thread-safe durable FIFO; one file per PDA (per data directory)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise QueueError(f"cannot open the offline queue {self.path}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def put(self, *, key: str, kind: str, task_id: str, step_id: str | None, path: str,
            body: str, summary: str, now: datetime) -> int:
        """Store one item; the same key twice is stored once (a double tap on CONFIRM)."""
        with self._lock:
            self._db.execute(
                "INSERT INTO outbox (key, kind, task_id, step_id, path, body, summary, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                (key, kind, task_id, step_id, path, body, summary, now.isoformat()))
            row = self._db.execute("SELECT seq FROM outbox WHERE key = ?", (key,)).fetchone()
        return int(row[0])

    def next_pending(self) -> tuple[QueuedItem, str, str] | None:
        """The oldest undelivered item with its path and body, or None."""
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS}, path, body FROM outbox WHERE state = 'pending' "
                "ORDER BY seq LIMIT 1").fetchone()
        if row is None:
            return None
        return _item(row[:11]), str(row[11]), str(row[12])

    def delivered(self, seq: int, code: str, message: str, answer: object) -> None:
        self._finish(seq, ItemState.DELIVERED, code, message, answer)

    def conflict(self, seq: int, code: str, message: str, answer: object = None) -> None:
        self._finish(seq, ItemState.CONFLICT, code, message, answer)

    def _finish(self, seq: int, state: ItemState, code: str, message: str,
                answer: object) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE outbox SET state = ?, code = ?, message = ?, answer = ?, "
                "attempts = attempts + 1 WHERE seq = ?",
                (state.value, code, message, json.dumps(answer, default=str), seq))

    def attempt_failed(self, seq: int, error: str) -> None:
        with self._lock:
            self._db.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ? "
                             "WHERE seq = ?", (error[:500], seq))

    def acknowledge(self, seq: int) -> None:
        """The picker has seen this conflict (it stays in the file, out of the list)."""
        with self._lock:
            self._db.execute("UPDATE outbox SET state = 'acknowledged' WHERE seq = ? "
                             "AND state = 'conflict'", (seq,))

    def items(self, *states: ItemState) -> list[QueuedItem]:
        wanted = [s.value for s in states] or [s.value for s in ItemState]
        marks = ",".join("?" * len(wanted))
        with self._lock:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM outbox WHERE state IN ({marks}) "
                                    "ORDER BY seq", wanted).fetchall()
        return [_item(r) for r in rows]

    def body_of(self, seq: int) -> str:
        """The JSON body exactly as queued (what a resend must repeat)."""
        with self._lock:
            row = self._db.execute("SELECT body FROM outbox WHERE seq = ?", (seq,)).fetchone()
        if row is None:
            raise KeyError(seq)
        return str(row[0])

    def answer_of(self, seq: int) -> object:
        with self._lock:
            row = self._db.execute("SELECT answer FROM outbox WHERE seq = ?", (seq,)).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def count(self, state: ItemState) -> int:
        with self._lock:
            row = self._db.execute("SELECT count(*) FROM outbox WHERE state = ?",
                                   (state.value,)).fetchone()
        return int(row[0])

    def remember(self, name: str, value: str | None) -> None:
        """Small durable facts: the signed-in session, the task in hand, settings."""
        with self._lock:
            if value is None:
                self._db.execute("DELETE FROM memory WHERE name = ?", (name,))
            else:
                self._db.execute("INSERT INTO memory VALUES (?, ?) ON CONFLICT (name) "
                                 "DO UPDATE SET value = excluded.value", (name, value))

    def recall(self, name: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM memory WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])


def _item(row: tuple[object, ...]) -> QueuedItem:
    seq, key, kind, task_id, step_id, created, state, attempts, code, message, summary = row
    return QueuedItem(
        seq=int(seq), key=str(key), kind=str(kind), task_id=str(task_id),  # type: ignore[call-overload]
        step_id=None if step_id is None else str(step_id),
        created_at=datetime.fromisoformat(str(created)).astimezone(UTC),
        state=ItemState(str(state)), attempts=int(attempts),  # type: ignore[call-overload]
        code=None if code is None else str(code), message=None if message is None else str(message),
        summary=str(summary))
