"""protocol.live: the live feed's messages read back exactly as the hub writes them, and
anything else is a ContractError."""

from __future__ import annotations

import contextlib
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol.errors import ContractError
from protocol.events import Reason, SourceKind, StockStatus
from protocol.live import (
    MAX_MESSAGE_BYTES,
    BalanceMessage,
    DroppedNotice,
    GatewayMessage,
    MoveMessage,
    read_live,
)

T = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
MOVE = MoveMessage(event_id=uuid.UUID(int=7), warehouse="WH1", occurred_at=T,
                   outcome="applied", unit_key=None, sku="SKU-1", lot="L1", quantity=3.0,
                   from_location="A1-01", to_location="A1-02", origin=None,
                   to_status=None, reason=Reason.TRANSFER, source_kind=SourceKind.PDA,
                   device_id="pda-1", user_id="ann", zones=["Z1"])
MESSAGES = [
    MOVE,
    BalanceMessage(warehouse="WH1", location="A1-02", sku="SKU-1", lot="", quantity=0.0,
                   status=StockStatus.AVAILABLE, zones=[]),
    GatewayMessage(warehouse="WH1", gateway="gw-1", state="online", last_heartbeat=T,
                   queue_depth=None),
    DroppedNotice(count=3),
]


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: m.type)
def test_a_message_reads_back_from_the_text_it_writes(message: object) -> None:
    assert isinstance(message, MoveMessage | BalanceMessage | GatewayMessage | DroppedNotice)
    text = json.dumps(message.as_json())
    assert read_live(text) == message
    assert read_live(text.encode()).as_json() == json.loads(text)


def test_the_hubs_move_shape_is_kept_key_for_key() -> None:
    assert MOVE.as_json() == {
        "type": "move", "event_id": str(uuid.UUID(int=7)), "warehouse": "WH1",
        "occurred_at": "2026-11-23T09:30:00+00:00", "outcome": "applied", "unit_key": None,
        "sku": "SKU-1", "lot": "L1", "quantity": 3.0, "from_location": "A1-01",
        "to_location": "A1-02", "origin": None, "to_status": None, "reason": "transfer",
        "source_kind": "pda", "device_id": "pda-1", "user_id": "ann", "zones": ["Z1"]}
    local = MOVE.model_copy(update={"occurred_at": T.astimezone(timezone(timedelta(hours=2)))})
    assert local.as_json()["occurred_at"] == "2026-11-23T11:30:00+02:00"  # its offset kept


@pytest.mark.parametrize(("text", "names"), [
    ('{"type": "teleport"}', "type"),
    ('{"type": "dropped", "count": 0}', "count"),
    ('{"type": "dropped", "count": 1, "extra": true}', "extra"),
    (json.dumps({**MOVE.as_json(), "occurred_at": "2026-11-23T09:30:00"}), "occurred_at"),
    (json.dumps({**MOVE.as_json(), "outcome": "rejected"}), "outcome"),
    ("[1, 2]", "live message"),
    (b"\xff\xfe", "live message"),
])
def test_a_bad_message_is_a_contract_error_naming_the_field(text: str | bytes,
                                                            names: str) -> None:
    with pytest.raises(ContractError, match=names):
        read_live(text)


def test_an_oversized_message_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(ContractError, match="over"):
        read_live(" " * (MAX_MESSAGE_BYTES + 1))


@given(st.binary(max_size=512) | st.text(max_size=512))
def test_any_input_is_a_message_or_a_contract_error(data: bytes | str) -> None:
    with contextlib.suppress(ContractError):
        read_live(data)
