"""Declarative rules (YAML) that turn facts about stock into actions, validated up front.

Rule kept here: evaluation is pure — rules × facts → actions and failures; a rule that fails on
a fact is reported and never stops the other rules. A rule applies to a fact only when the fact
has every name the rule's condition uses (an expiry rule does not look at SKU totals).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import yaml

from cloud_hub.planning.expr import Expression, ExpressionError, Value, parse
from cloud_hub.planning.facts import FACT_NAMES, FACTS, subjects_of


class ActionKind(StrEnum):
    ALERT = "alert"  # stored alert + MQTT message on the warehouse alerts topic
    WEBHOOK = "webhook"  # HTTP POST of the alert
    SUGGEST_REPLENISHMENT = "suggest_replenishment"
    SCHEDULE_RECOUNT = "schedule_recount"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


_NEEDS_TARGET = {ActionKind.ALERT: "an audience, e.g. 'alert: supervisors'",
                 ActionKind.WEBHOOK: "a URL, e.g. 'webhook: https://erp.example/hook'"}

_KNOWN_KEYS = {"name", "when", "then", "severity", "message", "enabled", "description"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.\-]{0,79}$")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# PostgreSQL text holds neither NUL nor a lone UTF-16 surrogate (YAML's "\0", "\ud800").
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
MAX_NODES = 20_000  # YAML aliases can make a small text a huge tree: stop walking there


@dataclass(frozen=True)
class RuleAction:
    kind: ActionKind
    target: str | None = None


@dataclass(frozen=True)
class Rule:
    name: str
    when: Expression
    then: tuple[RuleAction, ...]
    severity: Severity = Severity.WARNING
    message: str = ""
    enabled: bool = True

    @property
    def fact_names(self) -> frozenset[str]:
        """The fact names its condition and its message's {placeholders} read."""
        return self.when.names | frozenset(_PLACEHOLDER.findall(self.message))


class RulesError(ValueError):
    """The rules text is not valid; `problems` lists each one, naming the rule and key."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("invalid rules:\n" + "\n".join(f"- {p}" for p in self.problems))


def load_rules(text: str, known_names: frozenset[str] = FACT_NAMES) -> tuple[Rule, ...]:
    """Parse YAML `rules: [...]` (or a bare list). Collects every problem before raising."""
    if _UNSTORABLE.search(text):
        raise RulesError(["the text holds a NUL or an unpaired surrogate character, which "
                          "cannot be stored"])
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise RulesError([f"not valid YAML{where}: {getattr(exc, 'problem', exc)}"]) from None
    if (bad := _unstorable(doc)) is not None:
        raise RulesError([bad])
    items = doc.get("rules") if isinstance(doc, dict) else doc
    if doc is None or (isinstance(doc, dict) and "rules" not in doc):
        raise RulesError(["expected a top-level 'rules:' list"])
    if not isinstance(items, list):
        raise RulesError(["'rules' must be a list of rules"])
    problems: list[str] = []
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, raw in enumerate(items, start=1):
        name = raw.get("name") if isinstance(raw, dict) else None
        if isinstance(name, str):
            if name in seen:
                problems.append(f"rule '{name}' (#{i}): name is used by an earlier rule")
            seen.add(name)
        rule = _rule(raw, i, known_names, problems)
        if rule is not None:
            rules.append(rule)
    if problems:
        raise RulesError(problems)
    return tuple(rules)


def _unstorable(doc: object) -> str | None:
    """A problem when some text in the parsed document cannot be stored (or the document is
    too big to check); None when all of it can."""
    stack, seen = [doc], 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            return f"the document has more than {MAX_NODES} values (YAML aliases?)"
        if isinstance(node, str) and _UNSTORABLE.search(node):
            where = ascii(node[:40])
            return (f"text {where} holds a NUL (\\0) or an unpaired surrogate (\\ud800-"
                    "\\udfff) character, which cannot be stored")
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None


def _rule(raw: object, i: int, known: frozenset[str], problems: list[str]) -> Rule | None:
    if not isinstance(raw, dict):
        problems.append(f"rule #{i}: must be a mapping with 'name', 'when' and 'then'")
        return None
    name = raw.get("name")
    label = f"rule '{name}' (#{i})" if isinstance(name, str) else f"rule #{i}"
    start = len(problems)
    if name is not None and not isinstance(name, str):
        problems.append(f"{label}: key 'name' must be text, got {name!r} (put it in quotes)")
    elif not isinstance(name, str) or not _NAME.match(name):
        problems.append(f"{label}: key 'name' must be 1-80 letters, digits, spaces, '_.-'")
    for key in sorted(set(map(str, raw)) - _KNOWN_KEYS):
        problems.append(f"{label}: unknown key '{key}' (known: {', '.join(sorted(_KNOWN_KEYS))})")
    when = _when(raw.get("when"), label, known, problems)
    then = _then(raw.get("then"), label, problems)
    severity = raw.get("severity", "warning")
    if not isinstance(severity, str) or severity not in {s.value for s in Severity}:
        problems.append(f"{label}: key 'severity' must be one of info, warning, critical")
    message = raw.get("message", "")
    if not isinstance(message, str):
        problems.append(f"{label}: key 'message' must be text")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.append(f"{label}: key 'enabled' must be true or false")
    if len(problems) > start or when is None:
        return None
    return Rule(str(name), when, then, Severity(severity), str(message), bool(enabled))


def _when(raw: object, label: str, known: frozenset[str], problems: list[str]
          ) -> Expression | None:
    if raw is None:
        problems.append(f"{label}: key 'when' is missing (a condition, e.g. 'on_hand < 10')")
        return None
    try:
        expr = parse(raw)
    except ExpressionError as exc:
        problems.append(f"{label}: key 'when': {exc}")
        return None
    unknown = sorted(expr.names - known)
    if unknown:
        problems.append(f"{label}: key 'when': unknown name(s) {', '.join(unknown)}: no fact "
                        f"by that name is supplied (known: {', '.join(sorted(known))})")
        return None
    if len(subjects_of(expr.names)) > 1:
        named = ", ".join(f"{n} ({FACTS[n].subject})" for n in sorted(expr.names) if n in FACTS)
        problems.append(f"{label}: key 'when': {named} are facts of different subjects, which "
                        "never meet in one evaluation: the rule could never fire")
        return None
    return expr


def _then(raw: object, label: str, problems: list[str]) -> tuple[RuleAction, ...]:
    if raw is None:
        problems.append(f"{label}: key 'then' is missing (a list of actions)")
        return ()
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        problems.append(f"{label}: key 'then' needs at least one action")
    out: list[RuleAction] = []
    kinds = ", ".join(k.value for k in ActionKind)
    for j, item in enumerate(items, start=1):
        where = f"{label}: key 'then' action #{j}"
        kind_text, target = (item, None) if isinstance(item, str) else (None, None)
        if isinstance(item, dict) and len(item) == 1:
            kind_text, target = next(iter(item.items()))
        if kind_text not in {k.value for k in ActionKind}:
            problems.append(f"{where}: unknown action {item!r} (known: {kinds})")
            continue
        kind = ActionKind(kind_text)
        if kind in _NEEDS_TARGET and (not isinstance(target, str) or not target.strip()):
            problems.append(f"{where}: '{kind}' needs {_NEEDS_TARGET[kind]}")
            continue
        if kind is ActionKind.WEBHOOK and not str(target).startswith(("http://", "https://")):
            problems.append(f"{where}: webhook URL must start with http:// or https://")
            continue
        out.append(RuleAction(kind, target.strip() if isinstance(target, str) else None))
    return tuple(out)


@dataclass(frozen=True)
class Fact:
    """What is known about one subject (a SKU in a warehouse, a lot, a count) right now."""

    subject: str
    warehouse: str
    values: Mapping[str, Value] = field(default_factory=dict)
    sku: str | None = None
    once: bool = False  # a past event (a count): alert on it once, never again after ack


@dataclass(frozen=True)
class Action:
    rule: str
    kind: ActionKind
    target: str | None
    severity: Severity
    message: str
    fact: Fact


@dataclass(frozen=True)
class RuleFailure:
    rule: str
    subject: str
    error: str


@dataclass(frozen=True)
class Evaluation:
    actions: tuple[Action, ...]
    failures: tuple[RuleFailure, ...]


def evaluate(rules: Iterable[Rule], facts: Iterable[Fact]) -> Evaluation:
    """Every enabled rule against every fact it applies to; failures are collected."""
    facts = tuple(facts)
    actions: list[Action] = []
    failures: list[RuleFailure] = []
    for rule in rules:
        if not rule.enabled:
            continue
        for fact in facts:
            if not rule.when.names <= fact.values.keys():
                continue
            try:
                result = rule.when.evaluate(fact.values)
                if not isinstance(result, bool):
                    raise ExpressionError(f"condition gave {result!r}, not true/false")
            except ExpressionError as exc:
                failures.append(RuleFailure(rule.name, fact.subject, str(exc)))
                continue
            if result:
                text = render_message(rule, fact)
                actions.extend(Action(rule.name, a.kind, a.target, rule.severity, text, fact)
                               for a in rule.then)
    return Evaluation(tuple(actions), tuple(failures))


def render_message(rule: Rule, fact: Fact) -> str:
    """`{name}` placeholders from the fact (plus subject, warehouse, sku, rule); no format()."""
    if not rule.message:
        return f"{rule.name}: {fact.subject} in {fact.warehouse} ({rule.when.source})"
    extra: dict[str, Value] = {"subject": fact.subject, "warehouse": fact.warehouse,
                               "sku": fact.sku or "", "rule": rule.name}

    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        value = fact.values.get(key, extra.get(key))
        if value is None:
            return m.group(0)
        return f"{value:g}" if isinstance(value, float) else str(value)

    return _PLACEHOLDER.sub(sub, rule.message)
