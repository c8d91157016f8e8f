"""StockPulse edge."""
