"""The MQTT device API as an AsyncAPI 3.0 document, generated from the protocol models.

Rule kept here: every payload schema is the JSON schema pydantic derives from the model the
code reads and writes (protocol.events, .gateway, .devices, .alerts, .topics), and every
example is a model instance dumped as it goes on the wire — so the document cannot promise
what the code refuses. `docs/asyncapi.json` is this document; a test regenerates it and fails
when they differ (`python -m protocol.asyncapi > docs/asyncapi.json` refreshes it). The hub
serves it at /api/v1/asyncapi.json.

The document describes the hub: it receives what gateways and the serial bridge publish and
sends commands, alerts and its presence. A gateway's author reads it the other way round.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from protocol.alerts import AlertMessage
from protocol.codec import MAX_BATCH_EVENTS, MAX_PAYLOAD_BYTES
from protocol.devices import AckMessage, CommandMessage, CommandRejectedMessage, ReadingMessage
from protocol.events import StockMoved
from protocol.gateway import GatewayHeartbeat, GatewayStatus
from protocol.topics import HUB_PRESENCE_PREFIX, ROOT, VERSION, Channel, HubPresenceMessage

ASYNCAPI_VERSION = "3.0.0"
REF = "#/components/schemas/{model}"
_AT = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
_IDS = {"warehouse": "WH1", "gateway": "dock-gw-1"}


def _examples() -> dict[str, BaseModel]:
    """One wire example per message, built through the models (so each one validates)."""
    return {
        "stockMoved": StockMoved.model_validate({
            "event_id": UUID("0b6f3c1e-5d2a-4f3e-9a51-2f0c7d1e8a44"), "occurred_at": _AT,
            "warehouse": "WH1", "reason": "receive",
            "source": {"kind": "rfid", "device_id": "door-3", "read_point": "WH1-DOCK-03"},
            "unit": {"sscc": "106141411234567897"}, "from_location": "WH1-DOCK-03",
            "to_location": "WH1-STAGE-IN", "confidence": 0.97,
            "contents": [{"sku": "SKU-100", "lot": "L2401", "expiry": "2027-01-31",
                          "quantity": 40}]}),
        "gatewayStatus": GatewayStatus(state="online", at=_AT, **_IDS),
        "gatewayHeartbeat": GatewayHeartbeat.model_validate({
            "at": _AT, "queue_depth": 0, "read_rates": {"door-3": 412.5},
            "reader_health": {"door-3": "connected"},
            "sources": {"rfid": {"readers": {"door-3": {"connected": True,
                                                        "reads_per_s": 412.5}}}}}),
        "reading": ReadingMessage(device_id=7, seq=3, received_at=_AT, kind="temperature",
                                  value=Decimal("-18.25"), unit="celsius", **_IDS),
        "ack": AckMessage(device_id=7, seq=9, received_at=_AT, acked_seq=4, status="ok",
                          command_id="pick-1", **_IDS),
        "commandRejected": CommandRejectedMessage(
            reason="action: must be one of off, on", received_at=_AT, command_id="pick-2",
            **_IDS),
        "command": CommandMessage(device_id=7, action="on", colour="green", quantity=12,
                                  command_id="pick-1"),
        "alert": AlertMessage(
            alert_id=42, rule="low-stock", severity="warning", audience="supervisors",
            warehouse="WH1", subject="SKU-100", sku="SKU-100",
            message="SKU-100 below its reorder point", facts={"on_hand": 12, "rop": 40},
            raised_at=_AT),
        "hubPresence": HubPresenceMessage(hub="hub-1", state="online", group="hubs",
                                          subscribed=[f"$share/hubs/{ROOT}/{VERSION}/+/+/moves"],
                                          at=_AT.isoformat()),
    }


def wire_example(message: str) -> Any:
    """The example of `message` as its JSON text reads back (by alias, no nulls)."""
    return json.loads(_examples()[message].model_dump_json(by_alias=True, exclude_none=True))


# message name -> (model, title, summary)
MESSAGES: dict[str, tuple[type[BaseModel], str, str]] = {
    "stockMoved": (StockMoved, "Stock moved",
                   "One observed move; the payload may also be a JSON array of moves or "
                   '{"events": [...]} (a batch, see the schema).'),
    "gatewayStatus": (GatewayStatus, "Gateway status",
                      'Retained; "online" on connect, "offline" as the MQTT will.'),
    "gatewayHeartbeat": (GatewayHeartbeat, "Gateway heartbeat",
                         "Queue depth, read rates, per-source and per-reader health."),
    "reading": (ReadingMessage, "Device reading", "A sensor reading via the serial bridge."),
    "ack": (AckMessage, "Device ack", "A device acknowledged a command frame."),
    "commandRejected": (CommandRejectedMessage, "Command rejected",
                        "The bridge could not forward a command; the reason says why."),
    "command": (CommandMessage, "Pick-to-light command", "What a pick-to-light shows."),
    "alert": (AlertMessage, "Alert", "A hub rule fired (also the body of a rule's webhook)."),
    "hubPresence": (HubPresenceMessage, "Hub presence",
                    "Retained; gateways publish moves only while some hub claims them. An "
                    "empty retained payload deletes the claim (offline)."),
}

_GATEWAY = f"{ROOT}/{VERSION}/{{warehouse}}/{{gateway}}/"
# channel -> (address, messages, description); QoS/retain per channel in the operations
CHANNELS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "moves": (_GATEWAY + Channel.MOVES, ("stockMoved",), "Stock-moved events of one gateway."),
    "status": (_GATEWAY + Channel.STATUS, ("gatewayStatus",), "A gateway's online state."),
    "heartbeat": (_GATEWAY + Channel.HEARTBEAT, ("gatewayHeartbeat",), "Gateway health."),
    "readings": (_GATEWAY + Channel.READINGS, ("reading", "ack", "commandRejected"),
                 "What small devices say, through the serial bridge."),
    "commands": (_GATEWAY + Channel.COMMANDS, ("command",), "Commands to small devices."),
    "alerts": (f"{ROOT}/{VERSION}/{{warehouse}}/{Channel.ALERTS}", ("alert",),
               "Warehouse-level alerts raised by hub rules."),
    "presence": (HUB_PRESENCE_PREFIX + "{hub}", ("hubPresence",),
                 "Each hub replica's claim that its subscription to the moves is in place."),
}
# operation -> (action, channel, qos, retain)
OPERATIONS: dict[str, tuple[str, str, int, bool]] = {
    "receiveMoves": ("receive", "moves", 1, False),
    "receiveStatus": ("receive", "status", 1, True),
    "receiveHeartbeat": ("receive", "heartbeat", 0, False),
    "receiveReadings": ("receive", "readings", 1, False),
    "sendCommands": ("send", "commands", 1, False),
    "sendAlerts": ("send", "alerts", 1, False),
    "sendPresence": ("send", "presence", 1, True),
}
_PARAMETERS = {
    "warehouse": "Warehouse id: 1-64 of letters, digits, '_', '.', '-' (one topic level).",
    "gateway": "Gateway id, the same characters (one topic level).",
    "hub": "Hub replica id, the same characters.",
}


def _schemas() -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(the models' schemas by name, message -> its payload schema)."""
    models = sorted({m for m, _, _ in MESSAGES.values()}, key=lambda m: m.__name__)
    keys, top = models_json_schema([(m, "validation") for m in models], ref_template=REF)
    schemas: dict[str, Any] = top.get("$defs", {})
    payloads = {name: keys[(model, "validation")] for name, (model, _, _) in MESSAGES.items()}
    moved = payloads["stockMoved"]
    payloads["stockMoved"] = {"oneOf": [
        moved,
        {"type": "array", "items": moved, "minItems": 1, "maxItems": MAX_BATCH_EVENTS},
        {"type": "object", "required": ["events"], "additionalProperties": False,
         "properties": {"events": {"type": "array", "items": moved, "minItems": 1,
                                   "maxItems": MAX_BATCH_EVENTS}}},
    ]}
    return schemas, payloads


def _address_parameters(address: str) -> dict[str, Any]:
    return {p: {"description": d} for p, d in _PARAMETERS.items() if f"{{{p}}}" in address}


def document() -> dict[str, Any]:
    """The whole AsyncAPI 3.0 document, as plain JSON data."""
    schemas, payloads = _schemas()
    messages = {
        name: {"name": name, "title": title, "summary": summary, "contentType":
               "application/json", "payload": payloads[name],
               "examples": [{"name": name, "payload": wire_example(name)}]}
        for name, (_, title, summary) in MESSAGES.items()}
    channels = {
        name: {"address": address, "description": desc,
               "parameters": _address_parameters(address),
               "messages": {m: {"$ref": f"#/components/messages/{m}"} for m in names}}
        for name, (address, names, desc) in CHANNELS.items()}
    operations = {
        name: {"action": action, "channel": {"$ref": f"#/channels/{channel}"},
               "messages": [{"$ref": f"#/channels/{channel}/messages/{m}"}
                            for m in CHANNELS[channel][1]],
               "bindings": {"mqtt": {"qos": qos, "retain": retain}}}
        for name, (action, channel, qos, retain) in OPERATIONS.items()}
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {"title": "StockPulse MQTT device API", "version": VERSION,
                 "description": (
                     "What gateways, the serial bridge and hub replicas say over MQTT. This "
                     "document describes the hub: it receives moves, status, heartbeats and "
                     "readings, and sends commands, alerts and its presence. Payloads are "
                     f"JSON of at most {MAX_PAYLOAD_BYTES // 1024} KiB, nested at most 32 "
                     "deep. Generated from the protocol models (protocol/asyncapi.py)."),
                 "license": {"name": "GPL-3.0-only"}},
        "defaultContentType": "application/json",
        "servers": {"broker": {"host": "localhost:1883", "protocol": "mqtt",
                               "description": "Mosquitto (TLS on 8883 in production)"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def render() -> str:
    """The document as the text kept in docs/asyncapi.json (sorted keys, two-space indent)."""
    return json.dumps(document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")
