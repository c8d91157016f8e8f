"""Warehouse work — receipts, putaway, orders and waves, picking, cycle counts, PDA tasks: the
rules here (pure), their transactions and SQL in pg/ (WorkService), the task API in api/."""
