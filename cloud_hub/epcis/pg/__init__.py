"""The export's SQL: keyset-paginated reads of moves, streamed as an EPCIS document."""
