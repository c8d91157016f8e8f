"""The hub's composition root: it builds every service at start-up, lists every router, and
is the one place that wires.

Rule kept here: nothing is built on first use and no feature reaches for another's objects.
The lifespan builds the pools, the ledger's apply service, the live hub, metrics, the alert
publisher, the rules runner, the valuation follower, MQTT ingest, the planning
scheduler, the work service and the sign-in gate — in that order — provides each
through its Slot (cloud_hub.http.services), and stops them newest first.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, FastAPI

from cloud_hub.auth.api import admin as auth_admin
from cloud_hub.auth.api import routes as auth_api
from cloud_hub.auth.api.hash_gate import HashGate
from cloud_hub.auth.pg.store import bootstrap_admin
from cloud_hub.broker.client import hub_client
from cloud_hub.catalog.api import routes as catalog_api
from cloud_hub.db.database import open_pool, resolve_url
from cloud_hub.devices.api import routes as devices_api
from cloud_hub.devices.pg.readings import ensure_partitions
from cloud_hub.epcis.api import routes as epcis_api
from cloud_hub.exports.api import routes as exports_api
from cloud_hub.http import hardening, log_redaction, problems
from cloud_hub.http.deps import POOL, SETTINGS
from cloud_hub.http.services import Services
from cloud_hub.imports.api import routes as imports_api
from cloud_hub.ingest.api import dead_letters as ingest_letters
from cloud_hub.ingest.api import moves as ingest_moves
from cloud_hub.ingest.mqtt.subscriber import MqttIngest
from cloud_hub.ingest.pg.worker import IngestWorker
from cloud_hub.ledger.api import changes as ledger_changes
from cloud_hub.ledger.api import rejected as ledger_rejected
from cloud_hub.ledger.api import stock as ledger_stock
from cloud_hub.ledger.api.deps import APPLY
from cloud_hub.ledger.pg.apply import ApplyService
from cloud_hub.live.api import routes as live_api
from cloud_hub.live.api.hub import LiveHub
from cloud_hub.ops import api as ops_api
from cloud_hub.ops import device_api, gc_pauses
from cloud_hub.ops.metrics import Metrics
from cloud_hub.planning.api import routes as planning_api
from cloud_hub.planning.api.deps import ALERTS
from cloud_hub.planning.notify.alerts import MqttAlertPublisher
from cloud_hub.planning.notify.runner import RulesRunner
from cloud_hub.settings import HubSettings
from cloud_hub.supply.api import purchase as supply_purchase
from cloud_hub.supply.api import schedules as supply_schedules
from cloud_hub.supply.api import suppliers as supply_suppliers
from cloud_hub.supply.api import transfers as supply_transfers
from cloud_hub.supply.api.deps import SCHEDULER
from cloud_hub.supply.pg.schedules import PlanningScheduler
from cloud_hub.trace.api import recalls as trace_recalls
from cloud_hub.trace.api import routes as trace_api
from cloud_hub.valuation.api import routes as valuation_api
from cloud_hub.valuation.model import Method
from cloud_hub.valuation.pg.follower import ValuationFollower
from cloud_hub.web.api import pages as web_pages
from cloud_hub.web.api import routes as web_data
from cloud_hub.webhooks.api import routes as webhooks_api
from cloud_hub.webhooks.notify.sender import WebhookDispatcher
from cloud_hub.work.api import config as work_config
from cloud_hub.work.api import customers as work_customers
from cloud_hub.work.api import lots as work_lots
from cloud_hub.work.api import ops as work_ops
from cloud_hub.work.api import tasks as work_tasks
from cloud_hub.work.api.deps import WORK
from cloud_hub.work.pg.service import WorkService

# Every router, in the order its routes are matched and listed in OpenAPI.
ROUTERS: tuple[APIRouter, ...] = (
    auth_api.router,  # /api/v1/auth: sign-in, me
    catalog_api.router,  # locations (JSON, CSV), SKUs
    imports_api.router,  # /api/v1/imports: onboarding files (XLSX, CSV), their record, templates
    ledger_stock.router,  # stock, units, move history, search
    ingest_moves.router,  # POST /moves
    ledger_rejected.router,  # the rejected-moves queue
    ledger_changes.router,  # /api/v1/changes: the change feed for ERPs
    epcis_api.router,  # /api/v1/epcis/events: the ledger as EPCIS 2.0
    trace_api.router,  # /api/v1/trace: a lot's or unit's way, backward and forward
    trace_recalls.router,  # /api/v1/recalls: hold, report, release, scrap
    ingest_letters.router,  # dead letters, gateways
    live_api.router,  # live tickets, the live WebSocket
    auth_admin.router,  # users, gateway credentials
    work_tasks.router, work_ops.router, work_config.router,  # work: PDA tasks, operations, setup
    work_lots.router,  # /api/v1/lots: the lot master, its import and exceptions
    work_customers.router,  # /api/v1/customers: who orders are for, where they go
    planning_api.router,  # /api/v1/planning
    devices_api.router,  # /api/v1/devices, /api/v1/readings: small devices' data
    exports_api.router,  # /api/v1/exports: CSV and XLSX downloads
    webhooks_api.router,  # /api/v1/webhooks: subscriptions, the delivery log, replay
    supply_suppliers.router,  # suppliers, their terms, planning parameters per SKU
    supply_purchase.router,  # /api/v1/purchase-orders
    supply_transfers.router,  # /api/v1/transfers: between warehouses, through transit
    supply_schedules.router,  # /api/v1/planning/schedules: planning per warehouse, on time
    valuation_api.router,  # /api/v1/valuation: stock value, the period report
    web_pages.router, web_data.router,  # web: /map, /dashboard, /login, assets; their data
    ops_api.router,  # /healthz, /metrics
    device_api.router,  # /api/v1/asyncapi.json: the MQTT device API
)


def create_app(settings: HubSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[dict[str, Services]]:
        services = Services()  # each start of the app builds its own
        services.provide(SETTINGS, settings)
        async with AsyncExitStack() as running:
            await start(settings, services, running)
            yield services.lifespan_state()

    urls = hardening.docs_urls(settings)
    app = FastAPI(title="StockPulse hub", version="0.1.0", lifespan=lifespan,
                  description="Real-time warehouse ledger fed by RFID, scanners and cameras.",
                  docs_url=urls["docs_url"], redoc_url=urls["redoc_url"],
                  openapi_url=urls["openapi_url"])
    problems.install(app)
    hardening.install(app)
    log_redaction.install()  # access logs never carry a token or a live ticket
    for router in ROUTERS:
        app.include_router(router)
    return app


async def start(settings: HubSettings, services: Services, running: AsyncExitStack) -> None:
    """Build and start every service; `running` stops them, newest first."""
    def on_stop(close: Callable[[], object]) -> None:
        async def stop() -> None:
            await asyncio.to_thread(close)
        running.push_async_callback(stop)

    url = resolve_url(settings.database_url)
    # Requests get statements cut at api_statement_timeout_ms; ingest's side writes, the live
    # feed's reads and the rules runner share a pool that is not (the ledger pipeline opens
    # its own connections).
    pool = await asyncio.to_thread(open_pool, url,
                                   statement_timeout_ms=settings.api_statement_timeout_ms)
    on_stop(pool.close)
    background = await asyncio.to_thread(open_pool, url, 1, 4)
    on_stop(background.close)
    if settings.bootstrap_admin_password:
        with pool.connection() as conn:
            bootstrap_admin(conn, settings.bootstrap_admin_password)
    live = LiveHub(settings.ws_queue_size, settings.ws_slow_policy)
    live.bind(asyncio.get_running_loop())
    metrics = hub_metrics(live)
    apply = ApplyService(background, live, metrics)
    on_stop(apply.close)
    alerts = None
    if settings.mqtt_enabled:
        alerts = alert_publisher(settings)
        alerts.start()
        on_stop(alerts.close)
    rules = None
    if settings.rules_enabled:
        rules = RulesRunner(background, settings, alerts)
        apply.listeners.append(rules.moves_applied)
        rules.start()
        on_stop(rules.stop)
    if settings.valuation_enabled:  # follows the moves after commit; posting never waits
        valuation = ValuationFollower(background, Method(settings.valuation_method),
                                      settings.base_currency)
        apply.listeners.append(valuation.moves_applied)
        metrics.gauge("stockpulse_valuation_lag_moves", lambda: valuation.behind)
        metrics.gauge("stockpulse_valuation_lag_seconds", valuation.lag_seconds)
        valuation.start()
        on_stop(valuation.stop)
    ingest = None
    if settings.mqtt_enabled:
        # paho's thread only queues; the worker decodes, records and applies (ingest/pg)
        worker = IngestWorker(settings, apply, background, metrics, live)
        if rules is not None:  # stored readings wake the zone rules; ingest never waits
            worker.recorder.readings_listeners.append(rules.readings_stored)
        ingest = MqttIngest(settings, worker, metrics)
        ingest.start()
        on_stop(ingest.stop)
    with pool.connection() as conn:  # this month's and next month's readings partitions
        now = datetime.now(UTC)
        ensure_partitions(conn, [now, now + timedelta(days=31)], lock_wait_ms=2000)
    if settings.webhooks_enabled:  # its own connections: a slow receiver never holds apply's
        hooks_pool = await asyncio.to_thread(open_pool, url, 1, 3)
        on_stop(hooks_pool.close)
        webhooks = WebhookDispatcher(hooks_pool, interval_s=settings.webhooks_interval_s,
                                     timeout_s=settings.webhooks_timeout_s, workers=2)
        apply.listeners.append(webhooks.moves_applied)
        webhooks.start()
        on_stop(webhooks.stop)
    # Planning runs per warehouse on the schedules planners set (none: the thread only looks).
    scheduler = PlanningScheduler(background)
    scheduler.start()
    on_stop(scheduler.stop)
    # Work applies its moves through the same entry point, in its own transactions.
    work = WorkService(pool, apply)
    services.provide(POOL, pool)
    services.provide(APPLY, apply)
    services.provide(live_api.LIVE, live)
    services.provide(ops_api.METRICS, metrics)
    services.provide(ops_api.INGEST, ingest)
    services.provide(ALERTS, alerts)
    services.provide(WORK, work)
    services.provide(SCHEDULER, scheduler)
    services.provide(auth_api.HASH_GATE,
                     HashGate(settings.login_hash_slots, settings.login_hash_queue))


def hub_metrics(live: LiveHub) -> Metrics:
    metrics = Metrics()
    metrics.gauge("stockpulse_websocket_clients", lambda: len(live.clients))
    metrics.gauge("stockpulse_websocket_dropped", lambda: live.dropped_total)
    if (pauses := gc_pauses.current()) is not None:
        metrics.gauge("stockpulse_gc_full_collections", lambda: pauses.full_collections)
        metrics.gauge("stockpulse_gc_last_full_ms", lambda: pauses.last_full_ms)
        metrics.gauge("stockpulse_gc_max_full_ms", lambda: pauses.max_full_ms)
    return metrics


def alert_publisher(settings: HubSettings) -> MqttAlertPublisher:
    """The rules' alerts on the hub's broker, with the hub's credentials and TLS."""
    return MqttAlertPublisher(settings.mqtt_host, settings.mqtt_port,
                              client=hub_client(settings, f"planning-{uuid.uuid4().hex[:10]}"))
