"""Planning's HTTP side: /api/v1/planning."""
