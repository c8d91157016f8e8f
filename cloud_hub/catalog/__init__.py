"""Locations (a tree: zone › aisle › rack › bin), SKUs and warehouses: the master data moves
refer to. The rules here (model, tree, rows), their SQL in pg/, their routes in api/."""
