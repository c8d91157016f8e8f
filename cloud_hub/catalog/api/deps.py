"""What catalog routes (and other features' routes about a location) declare: a location looked
up by code, and its warehouse, for the access guard."""

from __future__ import annotations

from cloud_hub.auth.api.access import Resource, by_sql

LOCATION = Resource("location", "code",
                    by_sql("SELECT warehouse FROM locations WHERE code = %s"))
