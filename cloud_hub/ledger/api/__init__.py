"""The ledger's HTTP side: reading stock, units and history; the rejected-moves queue."""
