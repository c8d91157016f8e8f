"""Warehouse work: receiving, putaway, reservations, waves and picking, cycle counts, PDA tasks.

Pure rules live in the modules without I/O (model, receiving, putaway, reservations, picking,
counts, taskflow); `store` speaks PostgreSQL and `api` speaks HTTP around them.
"""
