"""The published MQTT device API (docs/asyncapi.json) is the protocol models' truth: it is what
the generator makes of them today, it is a valid AsyncAPI 3.0 document by the AsyncAPI
initiative's own schema, and what the code really publishes validates against it (while what
the models refuse, the document refuses too)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import jsonschema_rs
import pytest

from cloud_hub.planning.pg.actions import alert_payload
from cloud_hub.planning.rules import Action, ActionKind, Fact, Severity
from firmware_bridge.frames import Ack, AckStatus, Frame, Reading, SensorKind, Unit
from firmware_bridge.frames.messages import ack_message, reading_message
from protocol import asyncapi
from protocol.codec import encode_batch, encode_event
from protocol.events import StockMoved
from protocol.gateway import GatewayHeartbeat, status_message
from protocol.topics import HubPresence

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "asyncapi.json"
SPEC = ROOT / "tests" / "data" / "asyncapi" / "asyncapi-3.0.0.json"
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return json.loads(DOC.read_text(encoding="utf-8"))


def payload_validator(doc: dict[str, Any], message: str) -> jsonschema_rs.Validator:
    schema = {**doc["components"]["messages"][message]["payload"],
              "components": {"schemas": doc["components"]["schemas"]}}
    return jsonschema_rs.validator_for(schema)


def errors(validator: jsonschema_rs.Validator, instance: object) -> list[str]:
    return [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(instance)][:5]


def test_the_published_document_is_what_the_models_generate_today() -> None:
    assert DOC.read_text(encoding="utf-8") == asyncapi.render(), (
        "docs/asyncapi.json disagrees with the protocol models: run "
        "`python -m protocol.asyncapi > docs/asyncapi.json` and review the change")


def test_it_is_a_valid_asyncapi_3_document(doc: dict[str, Any]) -> None:
    spec = jsonschema_rs.Draft7Validator(json.loads(SPEC.read_text(encoding="utf-8")))
    assert errors(spec, doc) == []
    broken = {**doc, "operations": {"x": {"action": "publish", "channel": {"$ref": "#/c"}}}}
    assert not spec.is_valid(broken), "the spec schema must be able to refuse (2.x's verb)"


def test_it_names_every_channel_of_the_topic_scheme(doc: dict[str, Any]) -> None:
    addresses = {c["address"] for c in doc["channels"].values()}
    assert "stockpulse/v1/{warehouse}/{gateway}/moves" in addresses
    assert "stockpulse/v1/{warehouse}/alerts" in addresses
    assert "stockpulse/hub/presence/{hub}" in addresses
    for channel in doc["channels"].values():
        for part in ("warehouse", "gateway", "hub"):
            assert (f"{{{part}}}" in channel["address"]) == (part in channel["parameters"])


@pytest.mark.parametrize("message", sorted(asyncapi.MESSAGES))
def test_every_example_is_valid_by_the_document_and_by_the_model(
        doc: dict[str, Any], message: str) -> None:
    example = doc["components"]["messages"][message]["examples"][0]["payload"]
    assert errors(payload_validator(doc, message), example) == []
    model = asyncapi.MESSAGES[message][0]
    model.model_validate_json(json.dumps(example))


def _event(**changes: object) -> StockMoved:
    body: dict[str, object] = {
        "event_id": UUID(int=7), "occurred_at": NOW, "warehouse": "WH1", "reason": "pick",
        "source": {"kind": "pda", "device_id": "pda-1"},
        "item": {"sku": "SKU-1", "lot": "L1", "quantity": 3, "expiry": "2027-02-01"},
        "from_location": "A01-01", "to_location": "PACK-1", "user": "ana"}
    return StockMoved.model_validate({**body, **changes})


def _what_the_code_publishes() -> list[tuple[str, bytes]]:
    action = Action(rule="low-stock", kind=ActionKind.ALERT, target="supervisors",
                    severity=Severity.CRITICAL, message="SKU-1 is out",
                    fact=Fact(subject="SKU-1", warehouse="WH1", sku="SKU-1",
                              values={"on_hand": 0, "abc": "A"}))
    return [
        ("stockMoved", encode_event(_event())),
        ("stockMoved", encode_batch([_event(), _event(event_id=str(UUID(int=8)),
                                                      unit={"epc": "3034F4A1"}, item=None)])),
        ("gatewayStatus", status_message("offline", "WH1", "gw-1", NOW)),
        ("gatewayHeartbeat", GatewayHeartbeat(at=NOW, queue_depth=3, build="1.2").encode()),
        ("reading", reading_message(Frame(7, 3, Reading(SensorKind.WEIGHT, Decimal("12.5"),
                                                        Unit.KILOGRAM)), "WH1", "gw-1", NOW)
         .to_json()),
        ("ack", ack_message(Frame(7, 4, Ack(3, AckStatus.INVALID)), "WH1", "gw-1", NOW, None)
         .to_json()),
        ("alert", json.dumps(alert_payload(action, 5, NOW)).encode()),
        ("alert", json.dumps(alert_payload(action, None, NOW)).encode()),
        ("hubPresence", HubPresence("hub-a", True, "hubs", ("stockpulse/v1/+/+/moves",),
                                    NOW.isoformat()).encode()),
    ]


def test_what_the_code_publishes_is_valid_by_the_document(doc: dict[str, Any]) -> None:
    for message, body in _what_the_code_publishes():
        assert errors(payload_validator(doc, message), json.loads(body)) == [], message


@pytest.mark.parametrize(
    ("message", "payload"),
    [
        ("stockMoved", {"event_id": "x", "warehouse": "WH1"}),
        ("stockMoved", []),
        ("reading", {"schema": 1, "type": "reading", "warehouse": "WH1", "gateway": "g",
                     "device_id": 1, "seq": 1, "received_at": "2026-01-01T00:00:00Z",
                     "kind": "pressure", "value": 1, "unit": "none"}),
        ("command", {"device_id": 70000, "action": "on"}),
        ("command", {"device_id": 1, "action": "on", "lamp": 1}),
        ("alert", {"rule": "r", "severity": "fatal", "warehouse": "WH1", "subject": "s",
                   "message": "m", "facts": {}, "raised_at": "2026-01-01T00:00:00Z",
                   "alert_id": None, "audience": None}),
        ("hubPresence", {"hub": "h", "state": "asleep"}),
    ],
)
def test_what_the_models_refuse_the_document_refuses(
        doc: dict[str, Any], message: str, payload: object) -> None:
    model = asyncapi.MESSAGES[message][0]
    with pytest.raises(ValueError):
        model.model_validate_json(json.dumps(payload))
    assert errors(payload_validator(doc, message), payload) != []
