"""Users, roles, device credentials and bearer tokens."""
