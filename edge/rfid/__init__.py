"""RFID adapters: LLRP readers through sllurp, wired to the portal and zone logic.

`build_rfid_sources` (what the gateway calls) is imported lazily: parsing a config must not
pull in sllurp."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from edge.rfid.config import ReaderConfig, RfidConfig, RfidConfigError, parse_rfid_config
from protocol import StockMoved

if TYPE_CHECKING:
    from edge.rfid.source import RfidSource

__all__ = ["ReaderConfig", "RfidConfig", "RfidConfigError", "build_rfid_sources",
           "parse_rfid_config"]


def build_rfid_sources(config: RfidConfig, warehouse: str,
                       emit: Callable[[Sequence[StockMoved]], None]) -> list[RfidSource]:
    """The gateway's RFID sources for the `rfid:` section (see edge.rfid.source)."""
    from edge.rfid.source import build_rfid_sources as build

    return build(config, warehouse, emit)
