"""GET /api/v1/epcis/events."""
