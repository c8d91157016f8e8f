"""GET /healthz (is the database there, how far behind is MQTT ingest) and GET /metrics.

Rule kept here: /healthz answers 200 while the database answers, degraded or not — REST still
works, and the PDA asks it whether the hub is reachable; a stalled ingest shows as
`"status": "degraded"` with the reason, for load balancers and alerts to read.
"""

from __future__ import annotations

import threading
from typing import Annotated, Literal, Protocol

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse
from pydantic import Field

from cloud_hub.http.bodies import Body
from cloud_hub.http.deps import PoolDep, SettingsDep
from cloud_hub.http.hardening import metrics_access
from cloud_hub.http.services import Slot
from cloud_hub.ops.metrics import Metrics


class IngestHealth(Protocol):
    """What /healthz reads of MQTT ingest (cloud_hub's MqttIngest)."""

    connected: threading.Event

    def oldest_unacked_s(self) -> float: ...


METRICS: Slot[Metrics] = Slot("metrics registry")
INGEST: Slot[IngestHealth | None] = Slot("MQTT ingest (None: HUB_MQTT_ENABLED is off)")
MetricsDep = Annotated[Metrics, Depends(METRICS.dependency)]
IngestDep = Annotated[IngestHealth | None, Depends(INGEST.dependency)]

router = APIRouter(tags=["ops"])


class Health(Body):
    """The hub's health; the last two keys are there only with MQTT ingest on."""

    status: Literal["ok", "degraded"] = Field(description="degraded: ingest is stalled")
    database: Literal["ok"]
    mqtt: Literal["disabled", "connecting", "connected"]
    mqtt_oldest_unacked_s: float | None = Field(
        None, description="how long the oldest MQTT message has waited unacknowledged")
    degraded: str | None = Field(None, description="why the status is degraded")


@router.get("/healthz", response_model=Health, response_model_exclude_unset=True)
def healthz(pool: PoolDep, settings: SettingsDep, ingest: IngestDep) -> dict[str, object]:
    with pool.connection() as conn:
        conn.execute("SELECT 1")
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


@router.get("/metrics", response_class=PlainTextResponse,
            dependencies=[Depends(metrics_access)])
def metrics(registry: MetricsDep) -> str:
    return registry.render()
