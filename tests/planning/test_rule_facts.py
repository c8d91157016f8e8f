"""Rule facts on real PostgreSQL: every name a rule may use is supplied (and nothing else),
names nobody supplies are refused, idle stock, stock value, count variance and lot expiry
(from receipts and pallets alike) fire their rules, and schedule_recount makes a count task
the PDA's count flow picks up."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest

from cloud_hub.db.database import connect
from cloud_hub.devices.pg.readings import put_device, store_readings
from cloud_hub.planning.facts import FACT_NAMES, FACTS, Subject, names_of
from cloud_hub.planning.pg import store
from cloud_hub.planning.pg.actions import ActionSinks
from cloud_hub.planning.pg.runs import facts_for, on_moves_applied, run_planning
from cloud_hub.planning.rules import RulesError, load_rules
from cloud_hub.work.counts import CountRequest, VarianceRule
from cloud_hub.work.orders import Order, OrderLine
from cloud_hub.work.pg.counts import count_outcome, create_count_task
from cloud_hub.work.pg.orders import create_order
from cloud_hub.work.pg.tasks import load_task, next_task
from cloud_hub.work.steps import Counted
from protocol import ItemLine
from protocol.devices import ReadingMessage
from protocol.tasks import TaskKind
from tests.planning.ledger_site import T0, apply, history, move, pallet, site

pytestmark = pytest.mark.integration
DAYS = 56
TODAY = (T0 + timedelta(days=DAYS)).date()
NOW = datetime(TODAY.year, TODAY.month, TODAY.day, 9, tzinfo=UTC)


@pytest.fixture
def conn(fresh_db_url: str, wh: str) -> Iterator[psycopg.Connection]:
    with connect(fresh_db_url) as c:
        site(c, wh)
        yield c


def _count(conn: psycopg.Connection, wh: str, sku: str, location: str, found: int,
           task_id: str) -> None:
    """A blind count of `location` that found `found` of `sku` (lot L1), an hour ago."""
    create_count_task(conn, task_id=task_id, warehouse=wh, request=CountRequest(location, sku, "x"),
                      blind=True, now=NOW - timedelta(hours=2))
    task = load_task(conn, task_id).task
    count_outcome(conn, task, Counted("1", location, sku, "L1", Decimal(found)), user="ann",
                  counted_at=NOW - timedelta(hours=1), rule=VarianceRule())


def test_every_fact_a_rule_may_name_is_supplied_and_no_other(conn: psycopg.Connection,
                                                             wh: str) -> None:
    apply(conn, history(wh, DAYS, T0))
    run_planning(conn, TODAY, NOW, days=DAYS)
    create_order(conn, Order("O-F", wh, (OrderLine(1, "S1", Decimal(5)),)))
    _count(conn, wh, "S1", f"{wh}-BIN-A", 1000, "count-f")
    put_device(conn, wh, "gw", 1, location=f"{wh}-BIN-A", zone="cold", label="probe")
    store_readings(conn, [ReadingMessage(
        warehouse=wh, gateway="gw", device_id=1, seq=i, received_at=NOW - timedelta(minutes=1),
        kind=kind, value=Decimal(5), unit=unit)
        for i, (kind, unit) in enumerate([("temperature", "celsius"), ("humidity", "percent")])])
    facts = facts_for(conn, [(wh, "S1")], TODAY, now=NOW)
    for subject in Subject:
        supplied = {n for f in facts if f.subject.startswith(f"{subject}:") for n in f.values}
        assert supplied == names_of(subject), subject
    assert {n for f in facts for n in f.values} == FACT_NAMES
    sku = next(f for f in facts if f.subject == "sku:S1").values
    assert sku["allocated"] == 5 and sku["unit_cost"] == 2
    assert sku["stock_value"] == sku["on_hand"] * 2 and sku["idle_days"] == 2


@pytest.mark.parametrize("name", ["on_order", "in_transit", "days_to_stockout", "quantity"])
def test_a_rule_on_a_fact_nobody_supplies_is_refused_with_the_known_ones(name: str) -> None:
    with pytest.raises(RulesError) as info:
        load_rules(f"rules: [{{name: x, when: {name} > 0, then: [alert: a]}}]")
    text = str(info.value)
    assert f"unknown name(s) {name}: no fact by that name is supplied" in text
    assert all(known in text for known in FACTS)


def test_a_rule_mixing_subjects_could_never_fire_and_is_refused() -> None:
    with pytest.raises(RulesError, match="different subjects"):
        load_rules("rules: [{name: x, when: days_to_expiry < 30 and on_hand > 1, "
                   "then: [alert: a]}]")


@pytest.mark.parametrize("text", ['"\\ud800"', '"a\\0b"'])
def test_unstorable_text_in_rules_is_refused(text: str) -> None:
    for doc in (f"rules: [{{name: {text}, when: on_hand < 1, then: [alert: a]}}]",
                f"rules: [{{name: x, when: on_hand < 1, message: {text}, then: [alert: a]}}]"):
        with pytest.raises(RulesError, match="cannot be stored"):
            load_rules(doc)


def test_idle_stock_value_and_count_variance_rules_fire(conn: psycopg.Connection,
                                                        wh: str) -> None:
    apply(conn, [move(wh, "S2", 40, None, f"{wh}-BIN-B", "receive", NOW - timedelta(days=45))])
    _count(conn, wh, "S2", f"{wh}-BIN-B", 30, "count-v")  # 10 missing: -25 %
    rules = load_rules("""
rules:
  - name: idle and dear
    when: idle_days > 30 and stock_value > 100
    then: [alert: managers]
  - name: count far off
    when: count_variance_pct < -5
    then: [alert: supervisors, schedule_recount]
""")
    evaluation, report = on_moves_applied(conn, [(wh, "S2")], rules, ActionSinks(conn), NOW)
    fired = sorted((a.rule, a.kind.value, a.fact.subject) for a in evaluation.actions)
    assert fired == [("count far off", "alert", "count:count-v/1"),
                     ("count far off", "schedule_recount", "count:count-v/1"),
                     ("idle and dear", "alert", "sku:S2")]
    recount = next(o for o in report.outcomes if o.kind.value == "schedule_recount")
    assert recount.ok and "recount-" in recount.detail
    picked_up = next_task(conn, "ann", wh, TaskKind.COUNT)
    assert picked_up is not None and picked_up.reference == "rule:count far off"
    assert [s.location for s in picked_up.steps] == [f"{wh}-BIN-B"]
    # The count is a past event: once its alert is acknowledged it is not raised again,
    # and it is recounted once.
    for alert in store.list_alerts(conn, warehouse=wh):
        store.acknowledge_alert(conn, alert.id, "sam", NOW)
    _, again = on_moves_applied(conn, [(wh, "S2")], rules, ActionSinks(conn),
                                NOW + timedelta(minutes=5))
    details = sorted(o.detail for o in again.outcomes if o.rule == "count far off")
    assert details[0] == "alerted on this count before (acknowledged)"
    assert "recount already scheduled" in details[1]


def test_schedule_recount_makes_one_count_task_set_while_it_is_open(conn: psycopg.Connection,
                                                                    wh: str) -> None:
    apply(conn, [move(wh, "S1", 2, None, f"{wh}-BIN-A", "receive", NOW),
                 move(wh, "S1", 1, None, f"{wh}-BIN-B", "receive", NOW)])
    rules = load_rules("rules: [{name: low, when: on_hand < 5, then: [schedule_recount]}]")

    def run() -> str:
        _, report = on_moves_applied(conn, [(wh, "S1")], rules, ActionSinks(conn), NOW)
        (outcome,) = report.outcomes
        assert outcome.ok
        return outcome.detail

    first = run()
    assert first.startswith("count task(s) recount-") and first.count("recount-") == 2
    tasks = conn.execute("SELECT task_id, doc->'steps'->0->>'location' FROM work_tasks WHERE "
                         "kind = 'count' ORDER BY task_id").fetchall()
    assert [loc for _, loc in tasks] == [f"{wh}-BIN-A", f"{wh}-BIN-B"]
    assert run().startswith("recount already scheduled")
    conn.execute("UPDATE work_tasks SET state = 'done' WHERE kind = 'count'")  # counted
    assert run().startswith("count task(s) recount-")  # the condition still holds: count again


def test_expiry_alerts_for_received_pallets_and_loose_lots_alike(conn: psycopg.Connection,
                                                                 wh: str) -> None:
    soon = (NOW + timedelta(days=12)).date().isoformat()
    apply(conn, [
        pallet(wh, "106141411234567897", (ItemLine(sku="S1", lot="PAL", quantity=Decimal(8),
                                                   expiry=soon),),
               None, f"{wh}-DOCK", "receive", NOW),
        move(wh, "S2", 3, None, f"{wh}-BIN-A", "adjust", NOW, lot="OPEN", expiry=soon)])
    rules = load_rules("rules: [{name: near expiry, when: days_to_expiry <= 30, "
                       "then: [alert: supervisors]}]")
    evaluation, _ = on_moves_applied(conn, [(wh, "S1"), (wh, "S2")], rules, ActionSinks(conn),
                                     NOW)
    assert sorted(a.fact.subject for a in evaluation.actions) == ["lot:S1/PAL", "lot:S2/OPEN"]
    assert {a.fact.values["days_to_expiry"] for a in evaluation.actions} == {12}


def test_rules_api_answers_4xx_for_unstorable_text_and_unknown_facts(fresh_db_url: str) -> None:
    from tests.hub_fixtures import running_hub
    with running_hub(fresh_db_url, mqtt_enabled=False) as hub, hub.client() as api:
        plain = {"Content-Type": "text/plain"}
        for text in ('rules: [{name: "x\\ud800", when: on_hand < 1, then: [alert: a]}]',
                     'rules: [{name: x, when: on_hand < 1, message: "\\udfff", '
                     'then: [alert: a]}]',
                     "rules: [{name: x, when: idle_days > 1 and on_order > 0, "
                     "then: [alert: a]}]"):
            r = api.put("/api/v1/planning/rules", content=text, headers=plain)
            assert r.status_code == 422, r.text
        r = api.put("/api/v1/planning/rules", content=b"rules: [{name: \xed\xa0\x80}]",
                    headers=plain)
        assert r.status_code == 422, r.text
        assert api.get("/api/v1/planning/rules").json()["version"] is None


def test_an_expiry_only_an_import_knows_raises_the_expiry_alert(conn: psycopg.Connection,
                                                                wh: str) -> None:
    from cloud_hub.work.lot_import import LotRow
    from cloud_hub.work.pg.lot_master import import_rows
    apply(conn, [move(wh, "S3", 5, None, f"{wh}-BIN-A", "adjust", NOW, lot="IMP")])
    rules = load_rules("rules: [{name: near expiry, when: days_to_expiry <= 30, "
                       "then: [alert: supervisors]}]")
    evaluation, _ = on_moves_applied(conn, [(wh, "S3")], rules, ActionSinks(conn), NOW)
    assert evaluation.actions == ()  # no source has said when it expires
    soon = (NOW + timedelta(days=9)).date()
    assert [r.outcome for r in import_rows(conn, [LotRow(1, "S3", "IMP", soon)], NOW)] == [
        "created"]
    evaluation, _ = on_moves_applied(conn, [(wh, "S3")], rules, ActionSinks(conn), NOW)
    assert [(a.fact.subject, a.fact.values["days_to_expiry"]) for a in evaluation.actions] == [
        ("lot:S3/IMP", 9)]
