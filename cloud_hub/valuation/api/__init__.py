"""Valuation over HTTP: stock value now or as of a time, and the period report (JSON, CSV)."""
