"""The catalog in PostgreSQL: locations, SKUs and warehouses written, the tree walked."""
