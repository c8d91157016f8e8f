"""The ledger's pure core: balances and handling units folded from StockMoved events."""

from cloud_hub.ledger.decide import Outcome, RejectCode, absorb, apply, decide
from cloud_hub.ledger.interface import BatchResult
from cloud_hub.ledger.state import (
    ContentKey,
    LedgerState,
    LocationInfo,
    MoveStatus,
    NotLoaded,
    StockKey,
    UnitState,
)

__all__ = [
    "BatchResult",
    "ContentKey",
    "LedgerState",
    "LocationInfo",
    "MoveStatus",
    "NotLoaded",
    "Outcome",
    "RejectCode",
    "StockKey",
    "UnitState",
    "absorb",
    "apply",
    "decide",
]
