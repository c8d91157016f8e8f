"""The ingest's HTTP side: moves posted over REST, dead letters, gateways' health."""
