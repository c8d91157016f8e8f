"""What ingest's routes declare: a dead letter looked up by id, and its warehouse (the topic's)."""

from __future__ import annotations

from cloud_hub.auth.api.access import Resource, bigint, by_sql

DEAD_LETTER = Resource("dead_letter", "letter_id", by_sql(
    "SELECT warehouse FROM dead_letters WHERE id = %s", bigint))
