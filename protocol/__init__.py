"""StockPulse wire contract: the StockMoved event, its codec and the MQTT topic scheme (no I/O)."""

from protocol.codec import (
    MAX_PAYLOAD_BYTES,
    DecodedMessage,
    EventRejection,
    decode_event,
    decode_message,
    encode_batch,
    encode_event,
    event_to_dict,
)
from protocol.errors import ContractError
from protocol.events import (
    SCHEMA_VERSION,
    ItemLine,
    Reason,
    Source,
    SourceKind,
    StockMoved,
    StockStatus,
    UnitRef,
)
from protocol.topics import Channel, parse_topic, subscription, topic, warehouse_topic

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "SCHEMA_VERSION",
    "Channel",
    "ContractError",
    "DecodedMessage",
    "EventRejection",
    "ItemLine",
    "Reason",
    "Source",
    "SourceKind",
    "StockMoved",
    "StockStatus",
    "UnitRef",
    "decode_event",
    "decode_message",
    "encode_batch",
    "encode_event",
    "event_to_dict",
    "parse_topic",
    "subscription",
    "topic",
    "warehouse_topic",
]
