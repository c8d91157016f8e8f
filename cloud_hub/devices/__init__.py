"""Small devices behind the serial bridge: where each one is, and its readings over time."""
