"""Moves and gateway news coming in: read within bounds and sorted (messages.py: pure), the
PostgreSQL side of dead letters and gateways (pg/), the paho adapter (mqtt/), REST (api/)."""
