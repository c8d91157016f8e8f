"""MRP: bills of materials (bom), lot sizing (lots) and time-phased netting with pegging and
exception messages (netting). Pure rules only: no adapters, no REST yet (docs/mrp.md)."""
