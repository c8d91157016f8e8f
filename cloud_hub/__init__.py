"""StockPulse cloud_hub."""
