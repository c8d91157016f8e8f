"""LedgerPipeline: decides batch N+1 in Python while PostgreSQL writes batch N.

Rule kept here: speculation never changes what is committed. A batch is decided ahead
against the process's cached ledger rows as they will be once the batches before it commit;
its transaction then checks that guess under the warehouse's apply lock — the warehouse's
version must be exactly the one expected (nobody else wrote) and every event id must be new
to the exactly-once gate (a unique violation otherwise). When a check fails, or anything
fails, the speculated batches are undone in memory and applied again, one by one, by the
plain `apply_batch` path, which reads what it needs from the database.

Two writer threads, each with its own connection, overlap consecutive batches: while one
holds the warehouse's lock and commits batch N, the other already writes batch N+1's
append-only rows (the exactly-once gate, moves, rejected moves), which need no ledger state;
it takes the lock, checks the version and writes balances and units only when N is done.
Batches take that turn, and their `done` callbacks run, in submission order. `submit` may be
called from any thread and returns at once (it blocks only while `depth` batches already
wait to be written).
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

import psycopg

from cloud_hub.ledger import BatchResult, LedgerState, StockKey
from cloud_hub.ledger.pg.cache import LedgerCache, WarehouseCache
from cloud_hub.ledger.pg.plan import (
    WritePlan,
    build_plan,
    prepare_stage,
    write_history,
    write_state,
)
from cloud_hub.ledger.pg.store import (
    Undo,
    _Loader,
    _unique,
    apply_batch,
    decide_batch,
    known_ids,
    lock_and_bump,
    result_of,
    revert,
)
from protocol.events import StockMoved

log = logging.getLogger("stockpulse.ledger")

Done = Callable[[BatchResult | BaseException], None]
PRECHECK_SECONDS = 10.0  # after a duplicate surprised us, ask the gate first for this long
# The GIL hand-over interval the pipeline needs (CPython's default is 5 ms). The writer thread
# makes about ten round trips per batch; each time PostgreSQL answers, the writer waits for
# the GIL while the deciding thread computes, up to one interval, and PostgreSQL idles
# meanwhile. bench/ledger_apply.py --events 100000: 12.2k events/s at 5 ms, 13.8k at 1 ms,
# 14.5k at 0.2 ms, 14.9k at 0.05 ms.
SWITCH_INTERVAL_S = 0.0001
# Writer connections. Two let PostgreSQL use both cores of the 2-core machine: replaying the
# write plans of 100k bench events (no deciding) took 45 us/event of wall time on one
# connection and 30 on two; a third has no batch to overlap with at depth 2.
WRITERS = 2
# How long a batch decided ahead waits for its warehouse's lock before it gives up and goes
# the plain way. Another process holding that lock may be blocked on rows the batch behind
# this one has written already (the same event id), and that batch waits in this process for
# this one: a cycle PostgreSQL cannot see. Giving up undoes the batch behind, which breaks it.
LOCK_WAIT_MS = 2000


def favour_waiting_threads(interval: float = SWITCH_INTERVAL_S) -> None:
    """Lower the process's GIL switch interval to `interval` (never raise it)."""
    if sys.getswitchinterval() > interval:
        sys.setswitchinterval(interval)


def wait_for(submit: Callable[[Done], None]) -> BatchResult:
    """Run `submit` with a Done callback and block until it is called: the batch's result, or
    its failure raised here (for callers that answer at once, such as REST)."""
    box: list[BatchResult | BaseException] = []
    ready = threading.Event()

    def done(result: BatchResult | BaseException) -> None:
        box.append(result)
        ready.set()

    submit(done)
    ready.wait()
    if isinstance(box[0], BaseException):
        raise box[0]
    return box[0]


class _Conflict(Exception):
    """The speculation did not hold: another writer, or an id the gate had seen."""


class _Undone(Exception):
    """An earlier batch failed and took this one back while its history was written."""


@dataclass(eq=False)
class _Job:
    moves: list[StockMoved]  # the batch without repeats inside it
    repeats: list[UUID]
    applied_by: str | None
    done: Done
    warehouses: tuple[str, ...] = ()
    # set when decided ahead:
    held: WarehouseCache | None = None
    expected_version: int = 0
    plan: WritePlan | None = None
    undo: Undo = field(default_factory=lambda: ({}, {}))
    stale: bool = False  # undone: apply through the plain path
    counted: bool = False  # holds back deciding ahead in its warehouses until it ran
    seq: int = 0  # submission order: the order of taking the lock, committing and `done`


_STOP = object()


class LedgerPipeline:
    def __init__(self, connect: Callable[[], psycopg.Connection], depth: int = 2,
                 cache: LedgerCache | None = None, writers: int = WRITERS,
                 lock_wait_ms: int = LOCK_WAIT_MS) -> None:
        self.cache = cache or LedgerCache()
        favour_waiting_threads()
        self._connect = connect
        self._lock_wait_ms = lock_wait_ms
        self._read: psycopg.Connection | None = None  # prepare's loads (autocommit)
        self._writes: list[psycopg.Connection | None] = [None] * writers
        self._lock = threading.RLock()  # the cache, _ahead and _plain
        self._ahead: dict[str, list[_Job]] = {}  # decided, not yet committed, in order
        self._plain: Counter[str] = Counter()  # queued plain-path jobs per warehouse
        self._plain_ran = threading.Condition(self._lock)
        self._precheck_until = 0.0
        self._queue: queue.Queue[_Job | object] = queue.Queue(maxsize=depth)
        self._submitting = threading.Lock()  # a job's seq and its place in the queue agree
        self._next_seq = 0
        self._turn = 0  # the seq of the job that may lock, commit and report now
        self._history = 0  # the seq of the job that may write its history now
        self._turn_moved = threading.Condition()
        self._idle = threading.Condition()
        self._pending = 0
        self.stats: Counter[str] = Counter()
        self._threads = [threading.Thread(target=self._loop, args=(i,), daemon=True,
                                          name=f"ledger-writer-{i}") for i in range(writers)]
        for thread in self._threads:
            thread.start()

    # -- any thread ----------------------------------------------------------------------
    def submit(self, moves: Sequence[StockMoved], applied_by: str | None, done: Done) -> None:
        """Queue a batch; `done` is called on the writer thread with its result or error."""
        unique, repeats = _unique(moves)
        job = _Job(unique, repeats, applied_by, done,
                   tuple(sorted({m.warehouse for m in unique})))
        with self._idle:
            self._pending += 1
        with self._submitting:
            job.seq = self._next_seq
            self._next_seq += 1
            try:
                if unique:
                    with self._lock:
                        self._prepare(job)
            except Exception:  # e.g. a failed read while deciding ahead: the plain path retries
                log.exception("deciding a batch ahead failed; it goes the plain way")
                with self._lock:
                    if job.held is not None:
                        revert(job.held.balances, job.held.units, job.undo)
                    self.cache.drop(job.warehouses[0])
                    job.plan, job.held = None, None
                    self._make_plain(job)
            self._queue.put(job)

    def apply(self, moves: Sequence[StockMoved], applied_by: str | None) -> BatchResult:
        """Submit and wait for the commit."""
        return wait_for(lambda done: self.submit(moves, applied_by, done))

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every submitted batch is committed or failed."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self) -> None:
        self.flush()
        for _ in self._threads:
            self._queue.put(_STOP)
        for thread in self._threads:
            thread.join()
        for conn in (self._read, *self._writes):
            if conn is not None:
                conn.close()

    # -- deciding ahead (caller's thread, under _lock) --------------------------------------
    def _make_plain(self, job: _Job) -> None:
        with self._lock:
            job.stale, job.counted = True, True
            for wh in job.warehouses:
                self._plain[wh] += 1

    def _prepare(self, job: _Job) -> None:
        if len(job.warehouses) != 1:
            self._make_plain(job)
            return
        wh = job.warehouses[0]
        # Guess only from a cache the plain path has caught up with (it refills a cold one).
        self._plain_ran.wait_for(lambda: not self._plain[wh])
        held = self.cache.warehouses.get(wh)
        if held is None or held.version is None:
            self._make_plain(job)
            return
        recent = self.cache.recent
        fresh = [m for m in job.moves if m.event_id not in recent]
        job.repeats += [m.event_id for m in job.moves if m.event_id in recent]
        if fresh and time.monotonic() < self._precheck_until:
            seen = known_ids(self._reader(), [m.event_id for m in fresh])
            job.repeats += [m.event_id for m in fresh if m.event_id in seen]
            fresh = [m for m in fresh if m.event_id not in seen]
        job.moves = fresh
        state = LedgerState(held.balances, held.units, held.locations, complete=False,
                            stock_complete=held.stock_complete)
        ahead = self._ahead.setdefault(wh, [])
        job.expected_version = held.version + 1 + len(ahead)
        job.held = held  # from here on, job.undo says what to take back on failure
        after: dict[StockKey, Decimal] = {}
        outcomes = decide_batch(_Loader(self._reader(), state), fresh, after, job.undo)
        job.plan = build_plan(state, fresh, outcomes, job.applied_by, after)
        self.cache.remember(m.event_id for m in fresh)
        ahead.append(job)

    def _reader(self) -> psycopg.Connection:
        if self._read is None or self._read.closed:
            self._read = self._connect()
            self._read.autocommit = True
        return self._read

    # -- the writer threads --------------------------------------------------------------
    def _writer(self, index: int = 0) -> psycopg.Connection:
        conn = self._writes[index]
        if conn is None or conn.closed or conn.broken:
            conn = self._writes[index] = self._connect()
            prepare_stage(conn)
        return conn

    def writer_pids(self) -> list[int]:
        """The PostgreSQL backends of the writer connections (opened if need be)."""
        return [self._writer(i).info.backend_pid for i in range(len(self._writes))]

    def _wait_turn(self, job: _Job, or_stale: bool = False) -> None:
        with self._turn_moved:
            self._turn_moved.wait_for(lambda: self._turn == job.seq or (or_stale and job.stale))

    def _wait_history_turn(self, job: _Job) -> None:
        """Until every batch before this one has written its history, or finished."""
        with self._turn_moved:
            self._turn_moved.wait_for(lambda: self._history >= job.seq or job.stale)

    def _end_history(self, job: _Job) -> None:
        with self._turn_moved:
            self._history = max(self._history, job.seq + 1)
            self._turn_moved.notify_all()

    def _end_turn(self, job: _Job) -> None:
        with self._turn_moved:
            self._turn = job.seq + 1
            self._history = max(self._history, job.seq + 1)
            self._turn_moved.notify_all()

    def _loop(self, index: int) -> None:
        while True:
            job = self._queue.get()
            if job is _STOP:
                return
            assert isinstance(job, _Job)
            try:
                result: BatchResult | BaseException = self._run(job, index)
            except BaseException as exc:  # the caller decides: retry, log, give up
                result = exc
            self._wait_turn(job)
            try:
                job.done(result)
            except Exception:
                log.exception("a batch's done callback failed")
            self._end_turn(job)
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

    def _run(self, job: _Job, index: int) -> BatchResult:
        try:
            return self._run_once(job, index)
        except psycopg.OperationalError:
            conn = self._writes[index]
            if conn is None or not conn.broken:
                raise
            # The connection was lost (a server restart, a killed backend), typically before
            # this batch could use it. One more try on a new connection is safe: the gate
            # turns anything of it that did commit into duplicates.
            log.warning("ledger writer %d lost its connection; trying the batch again", index)
            self.stats["reconnects"] += 1
            self._wait_turn(job)
            return self._plain_apply(job, index)

    def _run_once(self, job: _Job, index: int) -> BatchResult:
        if job.plan is not None and not job.stale:
            try:
                return self._commit(job, index)
            except _Undone:
                pass
            except _Conflict as conflict:
                self.stats["conflicts"] += 1
                log.info("speculation did not hold (%s); applying plainly", conflict)
                self._undo_ahead(job, drop=str(conflict) != "duplicate")
            except BaseException:
                if not job.stale:  # else an earlier failure took it back: its own is moot
                    self._undo_ahead(job, drop=True)
                    raise
        self._wait_turn(job)
        if not job.moves and job.plan is None and not job.stale:
            return BatchResult((), tuple(job.repeats))
        return self._plain_apply(job, index)

    def _commit(self, job: _Job, index: int) -> BatchResult:
        """Write a batch decided ahead: its history as soon as the batch before has written
        its own (so moves.seq follows the order of applying), then, in its own turn, the
        lock, the version check and its state. It leaves in its turn, whatever happens."""
        assert job.plan is not None and job.held is not None
        wh = job.warehouses[0]
        conn = self._writer(index)
        try:
            with conn.transaction():
                self._wait_history_turn(job)
                if job.stale:
                    raise _Undone
                write_history(conn, job.plan, gated=False)
                self._end_history(job)
                self._wait_turn(job, or_stale=True)
                if job.stale:
                    raise _Undone
                versions = lock_and_bump(conn, [wh], self._lock_wait_ms)
                if versions[wh] != job.expected_version:
                    raise _Conflict("version")
                write_state(conn, job.plan)
        except psycopg.errors.LockNotAvailable as exc:
            self._wait_turn(job)
            raise _Conflict("lock wait") from exc
        except psycopg.errors.UniqueViolation as exc:
            self._wait_turn(job)
            if exc.diag.table_name == "event_ids" and not job.stale:
                raise _Conflict("duplicate") from exc
            raise
        except BaseException:
            self._wait_turn(job)
            raise
        with self._lock:
            job.held.version = job.expected_version
            ahead = self._ahead.get(wh, [])
            if ahead and ahead[0] is job:
                ahead.pop(0)
        self.stats["ahead"] += 1
        return result_of(job.plan, job.repeats)

    def _undo_ahead(self, failed: _Job, drop: bool) -> None:
        """Take back, newest first, every batch decided ahead from `failed` on."""
        wh = failed.warehouses[0]
        with self._lock:
            jobs = self._ahead.pop(wh, [])
            for job in reversed(jobs):
                assert job.held is not None
                revert(job.held.balances, job.held.units, job.undo)
                self.cache.forget(m.event_id for m in job.moves)
                if job is not failed:
                    self._make_plain(job)
            if drop:
                self.cache.drop(wh)
            else:
                self._precheck_until = time.monotonic() + PRECHECK_SECONDS
            failed.stale = True
        with self._turn_moved:  # a taken-back batch waiting for its turn rolls back now
            self._turn_moved.notify_all()

    def _plain_apply(self, job: _Job, index: int) -> BatchResult:
        with self._lock:  # nothing is decided ahead while the plain path uses the cache
            try:
                result = apply_batch(self._writer(index), job.moves, job.applied_by,
                                     self.cache)
            finally:
                if job.counted:
                    job.counted = False
                    for wh in job.warehouses:
                        self._plain[wh] -= 1
                    self._plain_ran.notify_all()
        self.stats["plain"] += 1
        return BatchResult(result.outcomes, (*job.repeats, *result.duplicates),
                           result.balances, result.warehouse_of)
