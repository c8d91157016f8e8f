"""Request dependencies as named aliases: the pool, settings and the apply service.

Who may call a route, and on which warehouse, is declared per route with cloud_hub.api.access
(one policy module for every route, page and socket).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from psycopg_pool import ConnectionPool

from cloud_hub.apply_service import ApplyService
from cloud_hub.settings import HubSettings

__all__ = ["ApplyDep", "PoolDep", "SettingsDep"]


def get_pool(request: Request) -> ConnectionPool:
    return request.app.state.pool  # type: ignore[no-any-return]


def get_settings(request: Request) -> HubSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_apply_service(request: Request) -> ApplyService:
    return request.app.state.apply_service  # type: ignore[no-any-return]


PoolDep = Annotated[ConnectionPool, Depends(get_pool)]
SettingsDep = Annotated[HubSettings, Depends(get_settings)]
ApplyDep = Annotated[ApplyService, Depends(get_apply_service)]
