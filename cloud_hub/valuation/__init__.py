"""Inventory valuation: FIFO cost layers and moving average, folded from dated stock movements.

The package's own modules are the pure core (no clock, no I/O): `model` (movements, entries,
errors, rounding), `stock` (one warehouse/SKU position under each method), `book` (the fold),
`replay` (the auditor's CSV replay). Adapters around it live in sub-packages.
"""
