"""Getting events into the hub: MQTT ingest with manual acknowledgement."""
