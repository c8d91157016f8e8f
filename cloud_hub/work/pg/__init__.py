"""Work in PostgreSQL: tasks, receipts, orders, waves, counts, the lots projection, and the
WorkService whose transactions apply work's moves through the ledger."""
