"""The things routes look up by id, and the warehouse each belongs to (temporary home while
the features move: each Resource goes beside its feature's routes)."""

from __future__ import annotations

from cloud_hub.auth.api.access import Resource, bigint, by_sql

SUGGESTION = Resource("suggestion", "suggestion_id", by_sql(
    "SELECT warehouse FROM planning_suggestions WHERE id = %s", bigint))
ALERT = Resource("alert", "alert_id", by_sql(
    "SELECT warehouse FROM planning_alerts WHERE id = %s", bigint))
