"""The live feed's HTTP side: the fan-out hub of WebSocket clients and its routes."""
