"""The trace's SQL: bounded reads of moves, units, balances and the work tables."""
