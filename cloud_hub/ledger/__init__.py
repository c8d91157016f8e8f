"""The ledger's pure core: balances and handling units folded from StockMoved events, the
Ledger interface and its in-memory implementation (memory.py); its PostgreSQL engine is pg/."""

from cloud_hub.ledger.decide import Outcome, RejectCode, absorb, apply, decide
from cloud_hub.ledger.interface import BatchResult, Ledger, Recorded
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
    "Ledger",
    "LedgerState",
    "LocationInfo",
    "MoveStatus",
    "NotLoaded",
    "Outcome",
    "Recorded",
    "RejectCode",
    "StockKey",
    "UnitState",
    "absorb",
    "apply",
    "decide",
]
