"""Suggestions from planning and from rules are one queue: one open purchase or transfer
suggestion per SKU × warehouse, whichever made it; a rule counts stock on order too."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from cloud_hub.db.database import connect
from cloud_hub.planning.pg.runs import suggest_for_action
from cloud_hub.planning.pg.store import list_suggestions, save_suggestions
from cloud_hub.planning.replenish import Suggestion, SuggestionKind
from cloud_hub.planning.rules import Action, ActionKind, Fact, Severity
from cloud_hub.supply.pg.purchase import NewLine, create_po
from cloud_hub.supply.pg.suppliers import create_supplier
from cloud_hub.supply.terms import Supplier
from tests.planning.ledger_site import site


def _suggestion(wh: str, kind: SuggestionKind, qty: float, source: str) -> Suggestion:
    return Suggestion(kind=kind, sku="S1", warehouse=wh, quantity=qty, suggested_quantity=qty,
                      source=source, reason="test", created_on=date(2026, 12, 1))


def _rule(wh: str, available: float) -> Action:
    fact = Fact(subject="sku:S1", warehouse=wh, sku="S1", values={
        "available": available, "max_level": 300.0, "reorder_point": 100.0,
        "safety_stock": 30.0})
    return Action(rule="low", kind=ActionKind.SUGGEST_REPLENISHMENT, target=None,
                  severity=Severity.WARNING,
                  message="S1 is low", fact=fact)


def test_one_open_suggestion_per_sku_and_warehouse_whoever_made_it(fresh_db_url: str) -> None:
    wh = "WHQ"
    with connect(fresh_db_url) as conn:
        site(conn, wh)
        save_suggestions(conn, [_suggestion(wh, SuggestionKind.TRANSFER, 40, "WH2")])
        suggest_for_action(conn, _rule(wh, 20.0), datetime.now(UTC))
        (only,) = list_suggestions(conn, warehouse=wh)
        assert only.kind is SuggestionKind.PURCHASE and only.quantity == 280
        assert only.reason.startswith("rule 'low'")
        # A pick-face move is another queue: it stays beside it.
        save_suggestions(conn, [_suggestion(wh, SuggestionKind.PICK_FACE, 5, f"{wh}-BIN-B")])
        assert len(list_suggestions(conn, warehouse=wh)) == 2


def test_a_rule_counts_what_is_on_order(fresh_db_url: str) -> None:
    wh = "WHR"
    with connect(fresh_db_url) as conn:
        site(conn, wh)
        create_supplier(conn, Supplier("ACME"))
        create_po(conn, po_id="PO-R", supplier="ACME", warehouse=wh,
                  lines=[NewLine("S1", Decimal(250))], expected_on=None, user="t")
        suggest_for_action(conn, _rule(wh, 20.0), datetime.now(UTC))
        (only,) = list_suggestions(conn, warehouse=wh)
        assert only.quantity == 300 - 20 - 250  # up to the max, less what is on order
        create_po(conn, po_id="PO-R2", supplier="ACME", warehouse=wh,
                  lines=[NewLine("S1", Decimal(30))], expected_on=None, user="t")
        assert suggest_for_action(conn, _rule(wh, 20.0), datetime.now(UTC)) == \
            "skipped: already at max level"
