"""One contract for every Ledger (cloud_hub.ledger.interface): the same suite runs against the
in-memory ledger and the PostgreSQL one (through the one apply entry point, the pipeline MQTT
and REST use). What the PostgreSQL ledger does is the contract; the in-memory one follows it.

Each test has a warehouse and a pallet of its own, so the PostgreSQL side shares one database.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from psycopg_pool import ConnectionPool

from cloud_hub.catalog.model import Location
from cloud_hub.catalog.pg.store import upsert_locations
from cloud_hub.db.database import connect, open_pool
from cloud_hub.ledger import ContentKey, LedgerState, MoveStatus, RejectCode, StockKey, apply
from cloud_hub.ledger.interface import Ledger
from cloud_hub.ledger.memory import InMemoryLedger
from cloud_hub.ledger.pg.apply import ApplyService
from cloud_hub.ledger.pg.ledger import PostgresLedger
from protocol import StockMoved, StockStatus
from tests.ledger.factories import at, item_move, line, unit_move

AVAILABLE, QUARANTINE = StockStatus.AVAILABLE, StockStatus.QUARANTINE


@dataclass(frozen=True)
class Site:
    wh: str
    other_wh: str  # a second warehouse, for moves that name a place of the wrong one
    sscc: str

    def __getattr__(self, name: str) -> str:  # site.DOCK, site.BIN_A, ... -> its code
        return f"{self.wh}-{name.replace('_', '-')}"

    @property
    def elsewhere(self) -> str:
        return f"{self.other_wh}-BIN"

    @property
    def locations(self) -> dict[str, str]:
        mine = {getattr(self, n): self.wh for n in ("DOCK", "BIN_A", "BIN_B", "BIN_C")}
        return {**mine, self.elsewhere: self.other_wh}

    @property
    def unit_key(self) -> str:
        return f"sscc:{self.sscc}"


@pytest.fixture(scope="module")
def postgres(pg_server_url: str) -> Iterator[tuple[ApplyService, ConnectionPool, str]]:
    from tests.conftest import scratch_database
    with scratch_database() as url, open_pool(url, 1, 4) as pool:
        service = ApplyService(pool)
        try:
            yield service, pool, url
        finally:
            service.close()


@pytest.fixture
def site() -> Site:
    wh = f"C{uuid.uuid4().hex[:8].upper()}"
    return Site(wh, f"{wh}X", f"{random.randrange(10**17):018d}")


@pytest.fixture(params=["memory", "postgres"])
def ledger(request: pytest.FixtureRequest, site: Site) -> Ledger:
    if request.param == "memory":
        return InMemoryLedger(site.locations)
    service, pool, url = request.getfixturevalue("postgres")
    with connect(url) as conn:
        upsert_locations(conn, [Location(code, wh, "bin") for code, wh in site.locations.items()])
    return PostgresLedger(service, pool)


def on_hand(ledger: Ledger, site: Site) -> dict[tuple[str, str], Decimal]:
    """(location, sku) -> quantity, all lots and statuses together."""
    out: Counter[tuple[str, str]] = Counter()
    for key, qty in ledger.balances(site.wh).items():
        out[key.location.removeprefix(f"{site.wh}-"), key.sku] += qty
    return dict(out)


# -- exactly once ---------------------------------------------------------------------------

def test_a_batch_applied_twice_counts_once(ledger: Ledger, site: Site) -> None:
    batch = [item_move("S1", 10, None, site.DOCK, wh=site.wh),
             item_move("S1", 3, site.DOCK, site.BIN_A, wh=site.wh)]
    first = ledger.apply(batch, "test")
    again = ledger.apply(batch, "test")
    assert (first.applied, first.duplicates) == (2, ())
    assert again.outcomes == () and Counter(again.duplicates) == Counter(
        m.event_id for m in batch)
    assert on_hand(ledger, site) == {("DOCK", "S1"): 7, ("BIN-A", "S1"): 3}
    assert [r.event_id for r in ledger.history(site.wh)] == [m.event_id for m in batch]


def test_an_event_repeated_inside_a_batch_applies_once(ledger: Ledger, site: Site) -> None:
    move = item_move("S1", 4, None, site.BIN_A, wh=site.wh)
    other = item_move("S2", 1, None, site.BIN_A, wh=site.wh)
    result = ledger.apply([move, move, other, move])
    assert [o.event_id for o in result.outcomes] == [move.event_id, other.event_id]
    assert result.applied == 2 and list(result.duplicates) == [move.event_id, move.event_id]
    assert on_hand(ledger, site) == {("BIN-A", "S1"): 4, ("BIN-A", "S2"): 1}


# -- quantities -----------------------------------------------------------------------------

def test_quantities_move_and_a_balance_at_zero_is_gone(ledger: Ledger, site: Site) -> None:
    ledger.apply([item_move("S1", 10, None, site.DOCK, wh=site.wh),
                  item_move("S1", "2.5", None, site.DOCK, lot="L2", wh=site.wh)])
    result = ledger.apply([item_move("S1", 10, site.DOCK, site.BIN_A, wh=site.wh),
                           item_move("S1", 4, site.BIN_A, None, wh=site.wh),
                           item_move("S1", "0.5", site.DOCK, site.BIN_B, lot="L2", wh=site.wh)])
    assert result.applied == 3
    # what the batch wrote: each touched balance once, with its value after the batch
    assert result.balances == {
        StockKey(site.DOCK, "S1", "L1", AVAILABLE): 0,
        StockKey(site.BIN_A, "S1", "L1", AVAILABLE): 6,
        StockKey(site.DOCK, "S1", "L2", AVAILABLE): 2,
        StockKey(site.BIN_B, "S1", "L2", AVAILABLE): Decimal("0.5")}
    assert set(result.warehouse_of.values()) == {site.wh}
    assert ledger.balances(site.wh) == {
        StockKey(site.BIN_A, "S1", "L1", AVAILABLE): 6,
        StockKey(site.DOCK, "S1", "L2", AVAILABLE): 2,
        StockKey(site.BIN_B, "S1", "L2", AVAILABLE): Decimal("0.5")}


def test_a_status_change_moves_stock_between_statuses(ledger: Ledger, site: Site) -> None:
    ledger.apply([item_move("S1", 5, None, site.DOCK, wh=site.wh, to_status=QUARANTINE)])
    assert ledger.balances(site.wh) == {StockKey(site.DOCK, "S1", "L1", QUARANTINE): 5}
    ledger.apply([item_move("S1", 5, site.DOCK, site.DOCK, status="quarantine", wh=site.wh,
                            to_status=AVAILABLE)])
    assert ledger.balances(site.wh) == {StockKey(site.DOCK, "S1", "L1", AVAILABLE): 5}


# -- handling units -------------------------------------------------------------------------

def test_a_pallet_carries_its_contents(ledger: Ledger, site: Site) -> None:
    ledger.apply([item_move("S1", 6, None, site.DOCK, wh=site.wh)])
    # a pallet built at the dock from loose stock there
    arrive = unit_move(site.sscc, site.DOCK, site.DOCK, t=1, wh=site.wh, contents=(line("S1", 4),))
    putaway = unit_move(site.sscc, site.DOCK, site.BIN_A, t=2, wh=site.wh)
    assert ledger.apply([arrive, putaway]).applied == 2
    assert on_hand(ledger, site) == {("DOCK", "S1"): 2, ("BIN-A", "S1"): 4}
    unit = ledger.unit(site.unit_key)
    assert unit is not None
    assert (unit.location, unit.since, unit.last_event) == (site.BIN_A, at(2), putaway.event_id)
    assert unit.contents == ((ContentKey("S1", "L1", AVAILABLE), 4),)
    # one case taken out where the pallet stands
    taken = item_move("S1", 1, site.BIN_A, site.BIN_B, t=3, wh=site.wh,
                      unit={"sscc": site.sscc})
    assert ledger.apply([taken]).applied == 1
    unit = ledger.unit(site.unit_key)
    assert unit is not None and unit.contents == ((ContentKey("S1", "L1", AVAILABLE), 3),)
    assert on_hand(ledger, site) == {("DOCK", "S1"): 2, ("BIN-A", "S1"): 3, ("BIN-B", "S1"): 1}
    # shipped: it leaves the warehouse with what it holds; the ledger still knows it
    assert ledger.apply([unit_move(site.sscc, site.BIN_A, None, t=4, wh=site.wh)]).applied == 1
    unit = ledger.unit(site.unit_key)
    assert unit is not None and unit.location is None
    assert on_hand(ledger, site) == {("DOCK", "S1"): 2, ("BIN-B", "S1"): 1}
    assert ledger.unit(f"sscc:{'9' * 18}") is None


def test_a_pallet_seen_first_arrives_with_its_declared_contents(ledger: Ledger,
                                                               site: Site) -> None:
    result = ledger.apply([unit_move(site.sscc, None, site.DOCK, wh=site.wh,
                                     contents=(line("S1", 5), line("S2", 2, lot="X")))])
    assert result.applied == 1
    assert on_hand(ledger, site) == {("DOCK", "S1"): 5, ("DOCK", "S2"): 2}
    unit = ledger.unit(site.unit_key)
    assert unit is not None and unit.contents == (
        (ContentKey("S1", "L1", AVAILABLE), 5), (ContentKey("S2", "X", AVAILABLE), 2))


# -- late and out of order ------------------------------------------------------------------

def test_an_older_unit_move_is_late_and_changes_nothing(ledger: Ledger, site: Site) -> None:
    first = unit_move(site.sscc, None, site.DOCK, t=0, wh=site.wh, contents=(line("S", 4),))
    latest = unit_move(site.sscc, site.BIN_A, site.BIN_C, t=30, wh=site.wh)
    older = unit_move(site.sscc, site.DOCK, site.BIN_A, t=10, wh=site.wh)
    ledger.apply([first])
    assert ledger.apply([latest]).applied == 1  # the ledger had it at DOCK: noted, applied
    late = ledger.apply([older])
    assert (late.late, late.applied, late.balances) == (1, 0, {})
    unit = ledger.unit(site.unit_key)
    assert unit is not None and (unit.location, unit.since) == (site.BIN_C, at(30))
    assert on_hand(ledger, site) == {("BIN-C", "S"): 4}
    # history: the warehouse's in the order applied, the unit's in the order it happened
    assert [(r.event_id, r.status) for r in ledger.history(site.wh)] == [
        (first.event_id, MoveStatus.APPLIED), (latest.event_id, MoveStatus.APPLIED),
        (older.event_id, MoveStatus.LATE)]
    assert [r.event_id for r in ledger.history(site.wh, unit=site.unit_key)] == [
        first.event_id, older.event_id, latest.event_id]
    notes = {r.event_id: r.note for r in ledger.history(site.wh)}
    assert notes[latest.event_id] is not None and site.DOCK in notes[latest.event_id]
    assert notes[older.event_id] is not None and site.BIN_C in notes[older.event_id]


def test_loose_stock_applies_in_arrival_order(ledger: Ledger, site: Site) -> None:
    """Items have no 'late': a pick that arrives before its receipt finds no stock and is
    rejected — and stays rejected when redelivered after the receipt (its id is spent)."""
    receipt = item_move("S1", 5, None, site.BIN_A, t=0, wh=site.wh)
    pick = item_move("S1", 2, site.BIN_A, None, t=60, wh=site.wh)
    early = ledger.apply([pick])
    assert [o.code for o in early.outcomes] == [RejectCode.NEGATIVE_STOCK]
    assert ledger.apply([receipt]).applied == 1
    assert list(ledger.apply([pick]).duplicates) == [pick.event_id]
    assert on_hand(ledger, site) == {("BIN-A", "S1"): 5}


# -- rejected moves -------------------------------------------------------------------------

def test_rejected_moves_change_nothing_and_are_not_history(ledger: Ledger, site: Site) -> None:
    good = item_move("S1", 3, None, site.BIN_A, wh=site.wh)
    batch = [item_move("S1", 1, None, f"{site.wh}-NOWHERE", wh=site.wh),
             good,
             item_move("S1", 4, site.BIN_A, site.BIN_B, wh=site.wh),  # only 3 there
             item_move("S1", 1, None, site.elsewhere, wh=site.wh),
             item_move("S1", 1, site.BIN_A, site.BIN_B, wh=site.wh, unit={"sscc": site.sscc})]
    result = ledger.apply(batch, "sup")
    assert [(o.status, o.code) for o in result.outcomes] == [
        (MoveStatus.REJECTED, RejectCode.UNKNOWN_LOCATION), (MoveStatus.APPLIED, None),
        (MoveStatus.REJECTED, RejectCode.NEGATIVE_STOCK),
        (MoveStatus.REJECTED, RejectCode.WRONG_WAREHOUSE),
        (MoveStatus.REJECTED, RejectCode.UNKNOWN_UNIT)]
    assert all(o.reason for o in result.outcomes if o.status is MoveStatus.REJECTED)
    assert result.rejected == 4
    assert on_hand(ledger, site) == {("BIN-A", "S1"): 3}
    assert [r.event_id for r in ledger.history(site.wh)] == [good.event_id]
    assert ledger.apply(batch).outcomes == ()  # redelivered, rejected ones too: no-ops


def test_a_batch_is_decided_in_order(ledger: Ledger, site: Site) -> None:
    """A move may use stock a move before it in the same batch brought, never one after."""
    batch = [item_move("S1", 2, site.BIN_A, site.BIN_B, wh=site.wh),
             item_move("S1", 2, None, site.BIN_A, wh=site.wh),
             item_move("S1", 2, site.BIN_A, site.BIN_B, wh=site.wh)]
    assert [o.status for o in ledger.apply(batch).outcomes] == [
        MoveStatus.REJECTED, MoveStatus.APPLIED, MoveStatus.APPLIED]
    assert on_hand(ledger, site) == {("BIN-B", "S1"): 2}


def test_history_keeps_the_order_of_applying_across_batches(ledger: Ledger,
                                                            site: Site) -> None:
    rng = random.Random(7)
    moves = [item_move(f"S{rng.randrange(3)}", 1, None, rng.choice([site.BIN_A, site.BIN_B]),
                       t=rng.randrange(1000), wh=site.wh) for _ in range(40)]
    for i in range(0, 40, 7):
        ledger.apply(moves[i:i + 7])
    assert [r.event_id for r in ledger.history(site.wh)] == [m.event_id for m in moves]
    assert sum(ledger.balances(site.wh).values()) == 40


# -- both at once: random traffic -----------------------------------------------------------

def random_traffic(site: Site, rng: random.Random, n: int) -> list[StockMoved]:
    """Loose stock and pallets moving about, a tenth of it out of order, with moves that must
    be rejected (no stock, unknown places) among them."""
    units = [f"{rng.randrange(10**17):018d}" for _ in range(8)]
    places = [site.DOCK, site.BIN_A, site.BIN_B, site.BIN_C]
    moves: list[StockMoved] = []
    for i in range(n):
        t = i - (rng.uniform(0, 30) if rng.random() < 0.1 else 0)
        roll = rng.random()
        if roll < 0.1:
            moves.append(unit_move(rng.choice(units), rng.choice([None, *places]),
                                   rng.choice(places), t=t, wh=site.wh,
                                   contents=(line(f"S{rng.randint(1, 5)}", rng.randint(1, 9)),)))
        elif roll < 0.12:
            moves.append(unit_move(rng.choice(units), rng.choice(places), None, t=t, wh=site.wh))
        else:
            frm = rng.choice([None, *places, *places])
            to = rng.choice([None, *places, f"{site.wh}-GONE"]) if frm else rng.choice(places)
            moves.append(item_move(f"S{rng.randint(1, 5)}", rng.randint(1, 20), frm, to, t=t,
                                   lot=rng.choice(["A", "B"]), wh=site.wh))
    return moves


def test_rebuilding_from_history_gives_the_balances(ledger: Ledger, site: Site) -> None:
    rng = random.Random(11)
    moves = random_traffic(site, rng, 600)
    for i in range(0, len(moves), 50):
        ledger.apply(moves[i:i + 50] + rng.sample(moves[:i + 50], 3))  # redeliveries
    by_id = {m.event_id: m for m in moves}
    history = ledger.history(site.wh)
    assert len({r.event_id for r in history}) == len(history)  # each at most once
    folded = LedgerState(locations=None, complete=True)
    for recorded in history:
        outcome = apply(folded, by_id[recorded.event_id])
        assert outcome.status is recorded.status
    assert folded.on_hand() == ledger.balances(site.wh)


def test_the_two_ledgers_agree_on_random_traffic(postgres: tuple[ApplyService, ConnectionPool,
                                                                 str], site: Site) -> None:
    service, pool, url = postgres
    with connect(url) as conn:
        upsert_locations(conn, [Location(code, wh, "bin") for code, wh in site.locations.items()])
    ledgers: list[Ledger] = [InMemoryLedger(site.locations), PostgresLedger(service, pool)]
    rng = random.Random(2026)
    moves = random_traffic(site, rng, 1000)
    for i in range(0, len(moves), 40):
        batch = moves[i:i + 40] + rng.sample(moves[:i + 40], 2)
        memory, real = (ledger.apply(batch, "both") for ledger in ledgers)
        assert [(o.event_id, o.status, o.code, o.note) for o in memory.outcomes] == \
            [(o.event_id, o.status, o.code, o.note) for o in real.outcomes]
        assert Counter(memory.duplicates) == Counter(real.duplicates)
        assert memory.balances == real.balances
    units = {m.unit.key for m in moves if m.unit is not None}
    mine, theirs = ledgers
    assert mine.balances(site.wh) == theirs.balances(site.wh)
    assert mine.history(site.wh) == theirs.history(site.wh)
    for key in units:
        assert mine.unit(key) == theirs.unit(key)
        assert mine.history(site.wh, unit=key) == theirs.history(site.wh, unit=key)
