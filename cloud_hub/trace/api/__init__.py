"""The trace's routes: GET /api/v1/trace."""
