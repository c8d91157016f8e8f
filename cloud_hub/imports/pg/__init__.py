"""Imports in PostgreSQL: what is stored for a file's keys, the writes, the record of imports."""
