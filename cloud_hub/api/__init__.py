"""The hub's HTTP face: FastAPI app, REST routes per resource, the live WebSocket."""
