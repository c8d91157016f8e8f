"""Exports: stock, moves, lots, counts and suggestions as CSV or XLSX, streamed."""
