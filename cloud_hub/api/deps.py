"""The apply service as a typed request dependency (routes that post moves)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from cloud_hub.apply_service import ApplyService
from cloud_hub.http.deps import PoolDep, SettingsDep
from cloud_hub.http.services import Slot

__all__ = ["APPLY", "ApplyDep", "PoolDep", "SettingsDep"]

APPLY: Slot[ApplyService] = Slot("apply service (the ledger's one apply path)")
ApplyDep = Annotated[ApplyService, Depends(APPLY.dependency)]
