"""Ingest's PostgreSQL side: dead letters, gateway records and registry, failure isolation
and replays on the way to the ledger."""
