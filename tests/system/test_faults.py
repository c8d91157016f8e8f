"""The chain under faults, each leaving nothing lost and nothing doubled: the broker restarted,
PostgreSQL restarted, a hub replica SIGKILLed, the edge SIGKILLed, the edge cut off for ten
minutes of traffic. Pallets pass the demo site's doors (LLRP emulator → sllurp → edge) while
the fault happens; afterwards the ledger holds every pass exactly once."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from netcut import NetCut
from system_helpers import (
    Chain,
    Tap,
    chain,
    expected_units,
    ledger_units,
    portal_passes,
    rfid_move_ids,
    truth_passes,
    wait_until,
)

from deploy.supervisor import Child
from deploy.system import DEMO_SCENARIO

pytestmark = pytest.mark.integration
SPEED = 8.0  # the demo site's two minutes in about fifteen seconds
TEN_MINUTES = Path(__file__).resolve().parent / "scenarios" / "ten_minutes.yaml"


def rfid_moves(db_url: str) -> int:
    with psycopg.connect(db_url) as conn:
        row = conn.execute("SELECT count(*) FROM moves WHERE source_kind = 'rfid'").fetchone()
    return int(row[0]) if row else 0


def settle(c: Chain, timeout: float = 60) -> None:
    """Until the ledger shows every pallet where the scenario left it; then assert it all."""
    expected = expected_units(c.truth())
    with contextlib.suppress(AssertionError):
        wait_until(lambda: ledger_units(c.db_url) == expected, timeout, "the ground truth")
    assert ledger_units(c.db_url) == expected  # nothing lost
    assert portal_passes(c.db_url) == truth_passes(c.truth())  # nothing doubled
    ids = rfid_move_ids(c.db_url)
    assert len(ids) == len(set(ids))


def run_with_fault(c: Chain, fault: Callable[[], None], after_moves: int = 8) -> None:
    """Play the demo site; inject `fault` once the ledger holds `after_moves` RFID moves."""
    c.start_broker()
    c.start_hubs(2)
    emulator = c.start_emulator(DEMO_SCENARIO, speed=SPEED, extra=("--exit-when-done",))
    c.start_edge()
    wait_until(lambda: rfid_moves(c.db_url) >= after_moves, 60, "moves before the fault")
    fault()
    assert emulator.proc.poll() is None, "the scenario ended before the fault: proves nothing"
    emulator.proc.wait(120)


def test_broker_restarted_mid_stream(tmp_path: Path, fresh_db_url: str) -> None:
    """The broker keeps the hubs' sessions across the restart but not their shared
    subscription; the hubs are held back (SIGSTOP) so the gateway is back first and passes go
    on while no hub is subscribed. The gateway holds them until a hub announces itself."""
    with chain(tmp_path, fresh_db_url) as c:
        def restart_broker() -> None:
            assert c.broker is not None and c.broker.local is not None
            hubs = [c.sup.children[name] for name in c.hub_envs]
            edge = c.sup.children["edge"]
            connects = _edge_connects(edge)
            for hub in hubs:
                hub.signal(signal.SIGSTOP)
            try:
                c.broker.local.stop()
                threading.Event().wait(2.0)  # the outage: two seconds of passes, no broker
                c.broker.local.start()
                wait_until(lambda: _edge_connects(edge) > connects, 30, "the edge back first",
                           every=0.1)
                threading.Event().wait(2.0)  # two seconds of passes with no hub subscribed
            finally:
                for hub in hubs:
                    hub.signal(signal.SIGCONT)
        run_with_fault(c, restart_broker)
        settle(c)


def _edge_connects(edge: Child) -> int:
    """How often the edge's publisher has connected (its log; there is no event to await)."""
    return edge.log_path.read_text(errors="replace").count("connected to 127.0.0.1")


def test_hub_replica_sigkilled_mid_stream(tmp_path: Path, fresh_db_url: str) -> None:
    with chain(tmp_path, fresh_db_url) as c:
        def kill_one_replica() -> None:
            c.sup.children["hub-1"].kill()
            threading.Event().wait(2.0)  # hub-2 carries on alone
            c.restart_hub("hub-1")  # its broker session held what it had not acknowledged
        run_with_fault(c, kill_one_replica)
        settle(c)


@pytest.fixture
def private_postgres(tmp_path: Path) -> Iterator[tuple[str, Callable[[], None]]]:
    """A PostgreSQL of our own (pgserver) that the test may stop and start again."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs' runtime-dir notice, harmless here
        import pgserver
        from pgserver._commands import pg_ctl

        data = Path(tempfile.mkdtemp(prefix="sp-pg-"))
        server = pgserver.get_server(data, cleanup_mode="delete")
    uri = server.get_uri()
    socket_dir = uri.split("host=", 1)[1]

    def restart() -> None:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data, user=server.system_user)
        threading.Event().wait(2.0)  # the outage: the hubs cannot commit for two seconds
        pg_ctl(["-w", "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(data / "log"),
                "start"], pgdata=data, user=server.system_user, timeout=30)

    try:
        yield uri, restart
    finally:
        server.cleanup()


def test_postgres_restarted_mid_stream(tmp_path: Path,
                                       private_postgres: tuple[str, Callable[[], None]]) -> None:
    url, restart = private_postgres
    with chain(tmp_path, url) as c:
        run_with_fault(c, restart)
        settle(c, timeout=90)


def test_edge_sigkilled_and_restarted(tmp_path: Path, fresh_db_url: str) -> None:
    """The edge is SIGKILLed with publishes in flight (routed by the broker, never
    acknowledged: a relay holds the PUBACKs back) and started again on the same outbox; it
    sends them again and the ledger holds each once. Passes while it is down are never seen,
    as on a real site: the pallets all of whose passes were seen are exactly right."""
    with chain(tmp_path, fresh_db_url) as c:
        broker = c.start_broker()
        tap = Tap(broker.port)
        link = NetCut(broker.port)
        try:
            c.start_hubs(2)
            emulator = c.start_emulator(DEMO_SCENARIO, speed=SPEED, extra=("--exit-when-done",))
            c.start_edge(broker_port=link.port)
            # counted at the broker, not in the ledger: however slow the hubs, the kill comes
            # early in the scenario
            wait_until(lambda: len(tap.seen()) >= 8, 60, "moves before the fault", every=0.1)
            link.hold_replies_after(link.sent)  # from the edge's next packet on, no replies
            wait_until(lambda: bool(_in_outbox(c) & tap.seen()), 60,
                       "a move routed by the broker and never acknowledged", every=0.1)
            assert emulator.proc.poll() is None, "the scenario ended before the kill"
            c.sup.children["edge"].kill()
            in_flight = _in_outbox(c) & tap.seen()
            assert in_flight  # no ack can have come since the wait: still in the outbox
            link.release()
            c.start_edge(broker_port=link.port)  # same config, same outbox file
            emulator.proc.wait(120)
            # the tap (a persistent subscriber) hears every published move, the hubs too:
            # wait until both agree, not only until the ledger holds what the tap has heard
            wait_until(lambda: _outbox_empty(c) and set(rfid_move_ids(c.db_url)) == tap.seen(),
                       60, "every published event in the ledger")
        finally:
            tap.close()
            link.close()
        ids = rfid_move_ids(c.db_url)
        assert len(ids) == len(set(ids)) and in_flight <= set(ids)  # none lost, none twice
        truth, passes = truth_passes(c.truth()), portal_passes(c.db_url)
        assert all(n <= truth[epc] for epc, n in passes.items())
        seen_whole = [epc for epc, n in truth.items() if passes.get(epc) == n]
        expected, units = expected_units(c.truth()), ledger_units(c.db_url)
        assert seen_whole and [units.get(e) for e in seen_whole] == [expected[e]
                                                                     for e in seen_whole]


def _in_outbox(c: Chain) -> set[str]:
    """event ids the edge's outbox still holds: not yet acknowledged by the broker."""
    with contextlib.closing(sqlite3.connect(f"file:{c.work / 'outbox.sqlite'}?mode=ro",
                                            uri=True)) as db:
        return {r[0] for r in db.execute("SELECT event_id FROM outbox")}


def _outbox_empty(c: Chain) -> bool:
    with contextlib.closing(sqlite3.connect(c.work / "outbox.sqlite")) as db:
        return db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0


def test_edge_cut_off_for_ten_minutes_of_traffic(tmp_path: Path, fresh_db_url: str) -> None:
    with chain(tmp_path, fresh_db_url) as c:
        broker = c.start_broker()
        c.start_hubs(2)
        link = NetCut(broker.port)
        try:
            emulator = c.start_emulator(TEN_MINUTES, speed=None, extra=("--exit-when-done",))
            link.cut()
            c.start_edge(broker_port=link.port)
            emulator.proc.wait(120)  # ten minutes of passes, played as fast as sllurp reads
            passes = len(c.truth()["passes"])
            wait_until(lambda: _outbox_depth(c) >= passes, 60, "every pass queued at the edge")
            assert rfid_moves(c.db_url) == 0  # the cut was real
            link.restore()
            settle(c, timeout=90)
        finally:
            link.close()


def _outbox_depth(c: Chain) -> int:
    with contextlib.closing(sqlite3.connect(c.work / "outbox.sqlite")) as db:
        return int(db.execute("SELECT count(*) FROM outbox").fetchone()[0])
