"""Valuation in PostgreSQL: the projection that follows the moves, and the reads of its tables."""
