"""What planning's routes declare: the hub's alert publisher (shared with the rules runner,
built by cloud_hub.main) and the suggestions and alerts the access guard looks up."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from cloud_hub.auth.api.access import Resource, bigint, by_sql
from cloud_hub.http.services import Slot
from cloud_hub.planning.pg.actions import AlertPublisher

# The hub's alert publisher (its MQTT settings); None: HUB_MQTT_ENABLED is off.
ALERTS: Slot[AlertPublisher | None] = Slot("alert publisher (None: HUB_MQTT_ENABLED is off)")
AlertsDep = Annotated[AlertPublisher | None, Depends(ALERTS.dependency)]

SUGGESTION = Resource("suggestion", "suggestion_id", by_sql(
    "SELECT warehouse FROM planning_suggestions WHERE id = %s", bigint))
ALERT = Resource("alert", "alert_id", by_sql(
    "SELECT warehouse FROM planning_alerts WHERE id = %s", bigint))
