"""Dead letters belong to the warehouse of the topic they came on, so each site sees its own."""

from __future__ import annotations

import psycopg
import pytest

from cloud_hub.db import migrate as migrations
from cloud_hub.db.database import connect
from cloud_hub.ingest.messages import sort_messages
from cloud_hub.web.pg import dashboard
from protocol import encode_event, topic
from tests.ledger.factories import item_move


def test_each_dead_letter_carries_the_warehouse_of_its_topic() -> None:
    foreign = encode_event(item_move("S", 1, None, "B1", wh="WH2"))
    out = sort_messages([
        (topic("WH1", "gw-a", "moves"), b"{not json"),
        (topic("WH1", "gw-a", "moves"), foreign),  # an event for WH2 on WH1's topic
        (topic("WH2", "gw-b", "status"), b"[1, 2]"),
        ("stockpulse/v1/../gw/moves", b"{}"),  # not a topic of ours
        ("elsewhere/moves", b"{}"),
    ])
    assert [(d.warehouse, d.topic.split("/")[-1]) for d in out.dead] == [
        ("WH1", "moves"), ("WH1", "moves"), ("WH2", "status"), (None, "moves"), (None, "moves")]
    assert "'WH2'" in out.dead[1].reason and not out.event_count


def _letter(conn: psycopg.Connection, topic_name: str, warehouse: str | None) -> None:
    conn.execute("INSERT INTO dead_letters (topic, warehouse, reason, raw) "
                 "VALUES (%s, %s, 'unreadable', '\\x00')", (topic_name, warehouse))


@pytest.mark.integration
def test_a_warehouse_dashboard_counts_its_own_and_unowned_dead_letters(
        fresh_db_url: str) -> None:
    with connect(fresh_db_url) as conn:
        _letter(conn, topic("WH1", "gw", "moves"), "WH1")
        _letter(conn, topic("WH2", "gw", "moves"), "WH2")
        _letter(conn, "garbage/topic", None)
        conn.commit()
        seen = {wh: dashboard.waiting(conn, wh)["dead_letters"] for wh in ("WH1", "WH2", None)}
    assert {wh: d["open"] for wh, d in seen.items()} == {"WH1": 2, "WH2": 2, None: 3}
    assert sorted((r["warehouse"] or "-") for r in seen["WH1"]["recent"]) == ["-", "WH1"]


@pytest.mark.integration
def test_the_migration_gives_earlier_dead_letters_their_topics_warehouse(
        fresh_db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    every = migrations.available()
    monkeypatch.setattr(migrations, "available", lambda: [m for m in every if m.version < 9])
    with connect(fresh_db_url, migrate_schema=False) as conn:
        migrations.migrate(conn)  # the schema as it was before dead letters had a warehouse
        for name in (topic("WH1", "gw-a", "moves"), "stockpulse/v1/WH2/alerts",
                     "stockpulse/v1/WH1/gw/nonsense", "stockpulse/v1/bad id/gw/moves",
                     "stockpulse/v2/WH1/gw/moves"):
            conn.execute("INSERT INTO dead_letters (topic, reason, raw) VALUES (%s, 'r', '')",
                         (name,))
        conn.commit()
        monkeypatch.setattr(migrations, "available", lambda: every)
        applied = [m.version for m in migrations.migrate(conn)]
        assert applied[0] == 9
        rows = conn.execute("SELECT topic, warehouse FROM dead_letters ORDER BY id").fetchall()
    assert [wh for _t, wh in rows] == ["WH1", "WH2", None, None, None]
