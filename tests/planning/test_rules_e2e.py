"""Rules end to end on real PostgreSQL and Mosquitto: a pick drops stock below safety stock →
an alert on the warehouse's MQTT alerts topic, stored, and a replenishment suggestion."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import httpx
import psycopg
import pytest

from cloud_hub.db.database import connect
from cloud_hub.ledger.pg.store import apply_batch
from cloud_hub.planning.notify.alerts import MqttAlertPublisher
from cloud_hub.planning.notify.webhooks import WebhookSender
from cloud_hub.planning.pg import store
from cloud_hub.planning.pg.actions import ActionSinks
from cloud_hub.planning.pg.runs import facts_for, on_moves_applied, run_planning, suggest_for_action
from cloud_hub.planning.rules import ActionKind, load_rules
from tests.planning.ledger_site import T0, apply, history, move, site

pytestmark = pytest.mark.integration

RULES = """
rules:
  - name: below safety stock
    when: on_hand < safety_stock
    then: [alert: supervisors, suggest_replenishment]
    message: "{sku} on hand {on_hand} is below safety stock in {warehouse}"
  - name: broken rule
    when: on_hand / 0 > 1
    then: [alert: supervisors]
  - name: near expiry
    when: days_to_expiry <= 30
    then: [alert: supervisors]
"""


@pytest.fixture
def conn(fresh_db_url: str, wh: str) -> Iterator[psycopg.Connection]:
    with connect(fresh_db_url) as c:
        site(c, wh)
        yield c


def test_a_move_below_safety_stock_raises_an_alert_on_mqtt_stored_once(
        conn: psycopg.Connection, wh: str, alerts: queue.Queue[dict[str, object]],
        mqtt_broker: tuple[str, int]) -> None:
    days = 56
    apply(conn, history(wh, days, T0))
    today = (T0 + timedelta(days=days)).date()
    now = datetime(today.year, today.month, today.day, 9, tzinfo=UTC)
    run = run_planning(conn, today, now, days=days)
    assert run.series == 1
    status = store.load_status(conn, wh)[0]
    safety = status["safety_stock"]
    assert status["model"] == "sba" and safety > 10
    rules = load_rules(RULES)
    publisher = MqttAlertPublisher(*mqtt_broker)
    publisher.start()
    try:
        sinks = ActionSinks(conn, publisher=publisher, suggest=suggest_for_action)
        on_hand = facts_for(conn, [(wh, "S1")], today)[0].values["on_hand"]
        # Still above safety stock: nothing fires except the broken rule's reported failure.
        quiet, _ = on_moves_applied(conn, [(wh, "S1")], rules, sinks, now)
        assert [a.rule for a in quiet.actions if a.fact.subject == "sku:S1"] == []
        # Near expiry (20 days left) is a lot fact and fires independently.
        assert [a.fact.subject for a in quiet.actions] == ["lot:S1/L1"]
        expiry_alert = alerts.get(timeout=10)
        assert expiry_alert["rule"] == "near expiry"
        drop = float(on_hand) - safety / 2
        pick = move(wh, "S1", round(drop, 3), f"{wh}-BIN-A", None, "pick", now)
        result = apply_batch(conn, [pick], "test")
        touched = [(wh, o.deltas[0][0].sku) for o in result.outcomes]
        evaluation, report = on_moves_applied(conn, touched, rules, sinks, now)
        assert [(f.rule, f.subject) for f in evaluation.failures] == [("broken rule", "sku:S1")]
        assert report.failed == []
        message = alerts.get(timeout=10)
        assert message["rule"] == "below safety stock" and message["sku"] == "S1"
        assert message["warehouse"] == wh and message["severity"] == "warning"
        assert message["facts"]["on_hand"] < message["facts"]["safety_stock"]
        stored = store.list_alerts(conn, warehouse=wh)
        below = [a for a in stored if a.rule == "below safety stock"]
        assert len(below) == 1 and below[0].id == message["alert_id"]
        suggestion = store.list_suggestions(conn, warehouse=wh)
        assert len(suggestion) == 1 and suggestion[0].quantity > 0
        assert "rule 'below safety stock'" in suggestion[0].reason
        # The condition still holds on the next move: counted, not re-published.
        on_moves_applied(conn, touched, rules, sinks, now + timedelta(minutes=5))
        again = [a for a in store.list_alerts(conn, warehouse=wh) if a.rule == below[0].rule]
        assert again[0].occurrences == 2
        with pytest.raises(queue.Empty):
            alerts.get(timeout=0.5)
        failures = conn.execute("SELECT count(*) FROM planning_rule_failures").fetchone()
        assert failures == (3,)  # the broken rule on S1, reported on each of the three runs
    finally:
        publisher.close()


def test_webhook_retries_then_gives_up_without_stopping_other_actions(
        conn: psycopg.Connection, wh: str) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(len(calls))
        if "flaky" in str(request.url):
            return httpx.Response(503 if len(calls) < 3 else 200)
        return httpx.Response(500)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    sender = WebhookSender(client, attempts=3, sleep=lambda s: None)
    rules = load_rules("""
rules:
  - name: hook down
    when: on_hand < 5
    then: [webhook: http://down.example/hook, schedule_recount]
  - name: hook flaky
    when: on_hand < 5
    then: [webhook: http://flaky.example/hook]
""")
    apply(conn, [move(wh, "S2", 3, None, f"{wh}-BIN-B", "receive", T0)])
    now = datetime(2025, 2, 1, tzinfo=UTC)
    _, report = on_moves_applied(conn, [(wh, "S2")], rules, ActionSinks(conn, webhook=sender),
                                 now)
    by_rule = {(o.rule, o.kind): o for o in report.outcomes}
    down = by_rule[("hook down", ActionKind.WEBHOOK)]
    assert not down.ok and "after 3 attempt(s): HTTP 500" in down.detail
    assert by_rule[("hook down", ActionKind.SCHEDULE_RECOUNT)].ok
    assert by_rule[("hook flaky", ActionKind.WEBHOOK)].ok  # 503 then 200 on the 3rd attempt
    assert conn.execute("SELECT subject FROM planning_recount_requests").fetchall() == [
        ("sku:S2",)]
    count = conn.execute("SELECT doc->'steps'->0->>'location' FROM work_tasks "
                         "WHERE kind = 'count' AND state = 'open'").fetchall()
    assert count == [(f"{wh}-BIN-B",)]  # a real count task where the stock is
    assert date(2025, 2, 1) == now.date()
