"""Supply: suppliers and their terms, planning parameters, purchase orders and transfer orders
between warehouses (core here, PostgreSQL in pg/, routes in api/)."""
