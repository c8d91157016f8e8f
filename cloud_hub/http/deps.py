"""The hub-wide request dependencies: the API connection pool and the settings.

Each feature declares the services only it uses beside its routes the same way (a `Slot`
and an `Annotated[..., Depends(slot.dependency)]` alias); cloud_hub.main provides them all.
Who may call a route, and on which warehouse, is declared with cloud_hub.auth.api.access.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from psycopg_pool import ConnectionPool

from cloud_hub.http.services import Slot
from cloud_hub.settings import HubSettings

__all__ = ["POOL", "SETTINGS", "PoolDep", "SettingsDep"]

# Requests' statements are cut at HUB_API_STATEMENT_TIMEOUT_MS on this pool.
POOL: Slot[ConnectionPool] = Slot("API connection pool")
SETTINGS: Slot[HubSettings] = Slot("hub settings")

PoolDep = Annotated[ConnectionPool, Depends(POOL.dependency)]
SettingsDep = Annotated[HubSettings, Depends(SETTINGS.dependency)]
