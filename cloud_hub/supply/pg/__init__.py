"""Supply in PostgreSQL: suppliers and terms, planning parameters, purchase and transfer
orders (migrations 204-206)."""
