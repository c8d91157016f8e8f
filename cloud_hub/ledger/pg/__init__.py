"""The ledger's PostgreSQL engine: the apply entry point (apply.py) over the pipeline and the
store, the write plans and COPY rows, the process's row cache, rebuild, read-side queries and
the `moves.seq` watermark projections follow."""
