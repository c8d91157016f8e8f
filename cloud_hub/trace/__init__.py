"""Trace: a lot's or a unit's way through the warehouse, backward and forward (issue 21)."""
