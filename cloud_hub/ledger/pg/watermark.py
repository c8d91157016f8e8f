"""A projection's watermark over `moves.seq`: which moves a table that follows the ledger
(demand_daily, lots) has folded in, and the refresh loop that moves it on.

Rule kept here: the projection holds exactly the moves with seq <= `through_seq`, each once.
The watermark only passes a seq when no transaction that may still commit a move with that seq
is open, and it moves in the same transaction as the rows it covers, one refresher at a time.
Readers add the visible moves above the watermark, so they equal a direct read of `moves`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

WAIT_S = 2.0
CHUNK_SEQS = 1_000_000
Fold = Callable[[psycopg.Connection, int, int], int]  # (conn, after, through) -> rows changed


@dataclass(frozen=True)
class Watermark:
    """A projection's state row (through_seq, pending_seq, pending_writers, refreshed_at) and
    the advisory lock its refreshers take."""

    name: str
    state_table: str
    lock_key: int


_SEQUENCE = "pg_get_serial_sequence('moves', 'seq')"
# Whoever may still commit a move holds ROW EXCLUSIVE on moves from before it draws a seq
# until its transaction ends (prepared transactions too: their pid is NULL).
_WRITERS = """
SELECT coalesce(array_agg(DISTINCT virtualtransaction), '{}') FROM pg_locks
 WHERE locktype = 'relation' AND relation = 'moves'::regclass
   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND mode = 'RowExclusiveLock' AND granted AND pid IS DISTINCT FROM pg_backend_pid()
"""
_STILL_OPEN = """
SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'relation'
                  AND relation = 'moves'::regclass AND mode = 'RowExclusiveLock'
                  AND virtualtransaction = ANY(%s))
"""

class SequenceCached(RuntimeError):
    """moves.seq hands out cached blocks, so a seq below the bound can still appear later."""


@dataclass(frozen=True)
class Refresh:
    through_seq: int  # the watermark after this refresh
    cells: int  # rows the fold inserted or changed
    chunks: int  # transactions it took
    open_writers: int  # writers still open at the end of the wait (0: caught up)


@dataclass(frozen=True)
class State:
    through_seq: int
    pending_seq: int | None
    pending_writers: list[str]


def refresh(conn: psycopg.Connection, mark: Watermark, fold: Fold, *, wait_s: float = WAIT_S,
            chunk: int = CHUNK_SEQS) -> Refresh:
    """Fold in the moves committed since the watermark. Waits up to `wait_s` for the writers that
    were open when it started (apply transactions last milliseconds); if some still are, it
    stops below what they may hold and remembers them, so the next refresh can pass them.
    The backlog is added `chunk` seqs per transaction (a first backfill is one long loop)."""
    state = read_state(conn, mark)
    target, pending, still_open = _settled_bound(conn, state, wait_s, mark.name)
    cells = chunks = 0
    through = state.through_seq
    while True:
        with conn.transaction():
            _read_committed(conn, mark)
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (mark.lock_key,))
            through = read_state(conn, mark).through_seq  # after the lock: what the last one left
            upper = min(target, through + chunk)
            if upper > through:
                cells += fold(conn, through, upper)
                chunks += 1
                through = upper
            conn.execute(
                f"UPDATE {mark.state_table} SET through_seq = %s, refreshed_at = now(), "
                "pending_seq = %s, pending_writers = %s",
                (through, *(pending if pending and pending[0] > through else (None, None))))
        if through >= target:
            return Refresh(through, cells, chunks, still_open)


def _read_committed(conn: psycopg.Connection, mark: Watermark) -> None:
    """The state must be read with a snapshot taken after the lock: under REPEATABLE READ a
    second refresher would see the watermark from before the first one committed."""
    level = conn.execute("SELECT current_setting('transaction_isolation')").fetchone()
    if level is None or level[0] != "read committed":
        raise RuntimeError(f"{mark.name}.refresh needs a READ COMMITTED connection")


def read_state(conn: psycopg.Connection, mark: Watermark) -> State:
    row = conn.execute("SELECT through_seq, pending_seq, pending_writers "
                       f"FROM {mark.state_table}").fetchone()
    if row is None:
        raise RuntimeError(f"{mark.state_table} has no row; run the migrations")
    return State(int(row[0]), row[1], list(row[2] or ()))


def _settled_bound(conn: psycopg.Connection, state: State, wait_s: float, name: str
                   ) -> tuple[int, tuple[int, list[str]] | None, int]:
    """(a seq no later commit can fall at or below, the bound to remember for the next
    refresh, writers still open)."""
    _check_cache(conn, name)
    target = state.through_seq
    pending: tuple[int, list[str]] | None = None
    if state.pending_seq is not None:
        if _still_open(conn, state.pending_writers):
            pending = (state.pending_seq, state.pending_writers)
        else:
            target = max(target, state.pending_seq)
    last, writers = _last_and_writers(conn)
    if _waited_out(conn, writers, wait_s):
        return max(target, last), pending, 0
    return target, pending or (last, writers), len(writers)


def settled_seq(conn: psycopg.Connection, wait_s: float = WAIT_S) -> int | None:
    """The last seq handed out, once every transaction that may still commit a move at or
    below it has ended (waiting up to `wait_s`); None when one is still open then. A reader
    that pages `moves` by seq up to this bound never skips a move that commits later."""
    _check_cache(conn, "a reader paging by seq")
    last, writers = _last_and_writers(conn)
    return last if _waited_out(conn, writers, wait_s) else None


def _check_cache(conn: psycopg.Connection, name: str) -> None:
    cached = conn.execute(f"SELECT seqcache FROM pg_sequence WHERE seqrelid = {_SEQUENCE}::regclass"
                          ).fetchone()
    if cached is not None and cached[0] > 1:
        raise SequenceCached("moves.seq has CACHE > 1: sessions hold seqs they use later, so "
                             f"no watermark on seq is safe; {name} needs CACHE 1")


def _last_and_writers(conn: psycopg.Connection) -> tuple[int, list[str]]:
    """The last seq handed out, read BEFORE the open writers: whoever drew a seq up to it is
    then either finished (visible) or in that list."""
    row = conn.execute(f"SELECT coalesce(pg_sequence_last_value({_SEQUENCE}), 0)").fetchone()
    return (int(row[0]) if row else 0), _open_writers(conn)


def _waited_out(conn: psycopg.Connection, writers: list[str], wait_s: float) -> bool:
    deadline = time.monotonic() + wait_s
    # Polled: PostgreSQL offers no SQL wait on another session's transaction end.
    while writers and _still_open(conn, writers) and time.monotonic() < deadline:
        time.sleep(0.005)
    return not writers or not _still_open(conn, writers)


def _open_writers(conn: psycopg.Connection) -> list[str]:
    row = conn.execute(_WRITERS).fetchone()
    return list(row[0]) if row else []


def _still_open(conn: psycopg.Connection, writers: list[str]) -> bool:
    row = conn.execute(_STILL_OPEN, (writers,)).fetchone()
    return bool(row and row[0])
