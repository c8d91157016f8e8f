"""Rules: the safe condition language, validation errors that name rule and key, and
evaluation where one failing rule never stops the others."""

from __future__ import annotations

import pytest

from cloud_hub.planning.expr import ExpressionError, parse
from cloud_hub.planning.rules import (
    ActionKind,
    Fact,
    RulesError,
    Severity,
    evaluate,
    load_rules,
)

RULES = """
rules:
  - name: below safety stock
    when: on_hand < safety_stock
    then: [alert: supervisors, suggest_replenishment]
    message: "{sku} at {on_hand} is below safety stock {safety_stock} in {warehouse}"
  - name: near expiry
    when: days_to_expiry <= 30
    severity: critical
    then:
      - alert: supervisors
      - webhook: https://erp.example/hooks/expiry
  - name: count variance
    when: count_variance_pct > 2 or count_variance_pct < -2
    then: schedule_recount
"""


def sku_fact(sku: str, on_hand: float, safety: float) -> Fact:
    return Fact(f"sku:{sku}", "WH1", {"on_hand": on_hand, "safety_stock": safety}, sku=sku)


@pytest.mark.parametrize(("text", "facts", "expected"), [
    ("on_hand < safety_stock", {"on_hand": 3, "safety_stock": 5}, True),
    ("on_hand < safety_stock * 1.5 and not abc_class == 'C'",
     {"on_hand": 6, "safety_stock": 5, "abc_class": "A"}, True),
    ("-2 <= count_variance_pct <= 2", {"count_variance_pct": 2.5}, False),
    ("(on_hand - allocated) / 2 > 10", {"on_hand": 30, "allocated": 4}, True),
    ("True", {}, True),
])
def test_conditions(text: str, facts: dict[str, object], expected: bool) -> None:
    assert parse(text).evaluate(facts) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize("text", [
    "__import__('os').system('id')", "on_hand.real > 1", "on_hand[0] > 1",
    "(lambda: 1)() == 1", "on_hand if on_hand else 1", "on_hand in (1, 2)", "on_hand ** 99",
    "on_hand is None", "[x for x in on_hand]", "on_hand < ",
    "1 < " + "-" * 40 + "1",  # nested too deeply
])
def test_conditions_outside_the_language_are_rejected(text: str) -> None:
    with pytest.raises(ExpressionError):
        parse(text)


def test_rules_load() -> None:
    rules = load_rules(RULES)
    assert [r.name for r in rules] == ["below safety stock", "near expiry", "count variance"]
    assert [a.kind for a in rules[0].then] == [ActionKind.ALERT, ActionKind.SUGGEST_REPLENISHMENT]
    assert rules[1].severity is Severity.CRITICAL
    assert rules[1].then[1].target == "https://erp.example/hooks/expiry"


def problems_of(text: str) -> list[str]:
    with pytest.raises(RulesError) as info:
        load_rules(text)
    return list(info.value.problems)


def test_validation_errors_name_rule_and_key() -> None:
    problems = problems_of("""
rules:
  - name: typo
    when: onhand < safety_stock
    then: [alert: supervisors]
  - name: unsafe
    when: __import__('os')
    then: [alert: supervisors]
  - name: no target
    when: on_hand < 1
    then: [alert, webhook: ftp://x, explode]
  - name: extra
    when: on_hand < 1
    then: [schedule_recount]
    severity: loud
    wen: typo
  - when: on_hand < 1
    then: [schedule_recount]
  - name: typo
    when: on_hand < 2
    then: [schedule_recount]
""")
    text = "\n".join(problems)
    assert "rule 'typo' (#1): key 'when': unknown name(s) onhand" in text
    assert "rule 'unsafe' (#2): key 'when': a function call is not allowed" in text
    assert "rule 'no target' (#3): key 'then' action #1: 'alert' needs an audience" in text
    assert "rule 'no target' (#3): key 'then' action #2: webhook URL must start with http" in text
    assert "rule 'no target' (#3): key 'then' action #3: unknown action 'explode'" in text
    assert "rule 'extra' (#4): key 'severity' must be one of" in text
    assert "rule 'extra' (#4): unknown key 'wen'" in text
    assert "rule #5: key 'name'" in text
    assert "rule 'typo' (#6): name is used by an earlier rule" in text


@pytest.mark.parametrize(("text", "fragment"), [
    ("rules: [", "not valid YAML at line"),
    ("{}", "top-level 'rules:'"),
    ("rules: 3", "must be a list"),
    ("rules: [3]", "rule #1: must be a mapping"),
    ("rules: [{name: x, when: on_hand < 1}]", "key 'then' is missing"),
    ("rules: [{name: off, when: on_hand < 1, then: [alert: a]}]", "got False (put it in quotes)"),
    ("rules: [{name: x, then: [alert: a], severity: [1]}]", "key 'when' is missing"),
])
def test_malformed_documents(text: str, fragment: str) -> None:
    assert fragment in "\n".join(problems_of(text))


def test_evaluation_fires_applicable_rules_with_messages() -> None:
    rules = load_rules(RULES)
    facts = [sku_fact("S1", 3, 10), sku_fact("S2", 30, 10),
             Fact("lot:L7", "WH1", {"days_to_expiry": 12}, sku="S3"),
             Fact("count:C1", "WH1", {"count_variance_pct": -4.0})]
    result = evaluate(rules, facts)
    assert result.failures == ()
    fired = [(a.rule, a.kind, a.fact.subject) for a in result.actions]
    assert fired == [
        ("below safety stock", ActionKind.ALERT, "sku:S1"),
        ("below safety stock", ActionKind.SUGGEST_REPLENISHMENT, "sku:S1"),
        ("near expiry", ActionKind.ALERT, "lot:L7"),
        ("near expiry", ActionKind.WEBHOOK, "lot:L7"),
        ("count variance", ActionKind.SCHEDULE_RECOUNT, "count:C1"),
    ]
    assert result.actions[0].message == "S1 at 3 is below safety stock 10 in WH1"


def test_a_failing_rule_is_reported_and_never_stops_the_others() -> None:
    rules = load_rules("""
rules:
  - name: divides by zero
    when: on_hand / safety_stock < 0.5
    then: [alert: supervisors]
  - name: compares text with a number
    when: abc_class > 3
    then: [alert: supervisors]
  - name: not a condition
    when: on_hand + 1
    then: [alert: supervisors]
  - name: still runs
    when: on_hand < safety_stock
    then: [suggest_replenishment]
""")
    facts = [sku_fact("S1", 1, 0), Fact("sku:S2", "WH1", {"abc_class": "A"}),
             sku_fact("S3", 1, 5)]
    result = evaluate(rules, facts)
    failures = {(f.rule, f.subject): f.error for f in result.failures}
    assert "division by zero" in failures[("divides by zero", "sku:S1")]
    assert "wrong type" in failures[("compares text with a number", "sku:S2")]
    assert "not true/false" in failures[("not a condition", "sku:S1")]
    # Every fact still reached the last rule; S3 also passed the first rule (1/5 < 0.5).
    assert [(a.rule, a.fact.subject) for a in result.actions] == [
        ("divides by zero", "sku:S3"), ("still runs", "sku:S3")]


def test_disabled_rules_do_nothing() -> None:
    rules = load_rules(
        "rules: [{name: paused, when: on_hand < 10, then: [alert: x], enabled: false}]")
    assert evaluate(rules, [sku_fact("S", 1, 0)]).actions == ()
