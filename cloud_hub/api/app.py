"""The hub's FastAPI app: routers, error format, and the services the lifespan owns."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.responses import PlainTextResponse

from cloud_hub.api import (
    admin_routes,
    auth_routes,
    catalog_routes,
    ledger_routes,
    live_routes,
    supervisor_routes,
)
from cloud_hub.apply_service import ApplyService
from cloud_hub.auth.store import bootstrap_admin
from cloud_hub.db.database import open_pool, resolve_url
from cloud_hub.http import hardening, log_redaction, problems
from cloud_hub.live import LiveHub
from cloud_hub.ops import gc_pauses
from cloud_hub.ops.metrics import Metrics
from cloud_hub.settings import HubSettings


def create_app(settings: HubSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = resolve_url(settings.database_url)
        # Requests get statements cut at api_statement_timeout_ms; ingest's side writes, the
        # live feed's reads and the rules runner share a pool that is not (the ledger
        # pipeline opens its own connections).
        pool = await asyncio.to_thread(open_pool, url,
                                       statement_timeout_ms=settings.api_statement_timeout_ms)
        background = await asyncio.to_thread(open_pool, url, 1, 4)
        if settings.bootstrap_admin_password:
            with pool.connection() as conn:
                bootstrap_admin(conn, settings.bootstrap_admin_password)
        live = LiveHub(settings.ws_queue_size, settings.ws_slow_policy)
        live.bind(asyncio.get_running_loop())
        metrics = Metrics()
        metrics.gauge("stockpulse_websocket_clients", lambda: len(live.clients))
        metrics.gauge("stockpulse_websocket_dropped", lambda: live.dropped_total)
        if (pauses := gc_pauses.current()) is not None:
            metrics.gauge("stockpulse_gc_full_collections", lambda: pauses.full_collections)
            metrics.gauge("stockpulse_gc_last_full_ms", lambda: pauses.last_full_ms)
            metrics.gauge("stockpulse_gc_max_full_ms", lambda: pauses.max_full_ms)
        app.state.pool, app.state.live, app.state.metrics = pool, live, metrics
        app.state.apply_service = ApplyService(background, live, metrics)
        rules = None
        if settings.rules_enabled:
            from cloud_hub.rules_runner import RulesRunner
            rules = RulesRunner(background, settings)
            app.state.apply_service.listeners.append(rules.moves_applied)
            rules.start()
        app.state.rules = rules
        ingest = None
        if settings.mqtt_enabled:
            from cloud_hub.ingest.mqtt import MqttIngest
            ingest = MqttIngest(settings, app.state.apply_service)
            ingest.start()
        app.state.ingest = ingest
        try:
            yield
        finally:
            if ingest is not None:
                await asyncio.to_thread(ingest.stop)
            if rules is not None:
                await asyncio.to_thread(rules.stop)
            await asyncio.to_thread(app.state.apply_service.close)
            await asyncio.to_thread(pool.close)
            await asyncio.to_thread(background.close)

    app = FastAPI(title="StockPulse hub", version="0.1.0", lifespan=lifespan,
                  description="Real-time warehouse ledger fed by RFID, scanners and cameras.",
                  **hardening.docs_urls(settings))
    app.state.settings = settings
    problems.install(app)
    hardening.install(app)
    log_redaction.install()  # access logs never carry a token or a live ticket
    for module in (auth_routes, catalog_routes, ledger_routes, supervisor_routes, live_routes,
                   admin_routes):
        app.include_router(module.router)
    for router in extra_routers():
        app.include_router(router)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, object]:
        with app.state.pool.connection() as conn:
            conn.execute("SELECT 1")
        ingest = app.state.ingest
        body: dict[str, object] = {
            "status": "ok", "database": "ok", "mqtt": "disabled" if ingest is None else
            ("connected" if ingest.connected.is_set() else "connecting")}
        if ingest is not None:  # still 200 when degraded: REST works (the PDA asks here)
            waited = ingest.oldest_unacked_s()
            body["mqtt_oldest_unacked_s"] = round(waited, 3)
            if waited > settings.ingest_degraded_after_s:
                body["status"] = "degraded"
                body["degraded"] = (f"an MQTT message has waited {waited:.0f} s unacknowledged "
                                    f"(over HUB_INGEST_DEGRADED_AFTER_S="
                                    f"{settings.ingest_degraded_after_s:g}): ingest is stalled")
        return body

    @app.get("/metrics", tags=["ops"], response_class=PlainTextResponse,
             dependencies=[Depends(hardening.metrics_access)])
    def metrics() -> str:
        return app.state.metrics.render()  # type: ignore[no-any-return]

    return app


def extra_routers() -> list[object]:
    """Routers of the warehouse-work, planning and web packages, when they are present."""
    import importlib
    routers = []
    for name in ("cloud_hub.work.api", "cloud_hub.planning.api", "cloud_hub.web.routes"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        routers.extend(getattr(module, "routers", [module.router]))
    return routers
