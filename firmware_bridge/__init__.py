"""StockPulse firmware_bridge."""
