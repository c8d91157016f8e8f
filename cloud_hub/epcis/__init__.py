"""EPCIS 2.0 export: the ledger's moves as GS1 EPCIS events (docs/epcis.md)."""
