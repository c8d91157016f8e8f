"""StockPulse pda_app."""
