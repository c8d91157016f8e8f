-- The gateway registry: a gateway is registered when an administrator added it
-- (`python -m cloud_hub gateways add WH GW`, which issues its credential); a status or
-- heartbeat alone only makes a row with registered_at NULL, so the supervisor sees it. Moves
-- on the topic of a gateway that is not registered are dead letters, or only flagged, as
-- HUB_UNREGISTERED_GATEWAYS says (cloud_hub/ingest/registry.py). Gateways that were given a
-- credential before this migration count as registered from its date.
ALTER TABLE gateways ADD COLUMN IF NOT EXISTS registered_at timestamptz;
UPDATE gateways g SET registered_at = t.first
  FROM (SELECT warehouse, gateway, min(created_at) AS first FROM api_tokens
         WHERE kind = 'device' AND warehouse IS NOT NULL AND gateway IS NOT NULL
         GROUP BY warehouse, gateway) t
 WHERE g.warehouse = t.warehouse AND g.gateway = t.gateway AND g.registered_at IS NULL;
