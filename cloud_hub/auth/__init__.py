"""Users, roles, device credentials and bearer tokens: the rules here (roles, policy, throttle,
secret_strength), their storage in pg/, the access guard and sign-in routes in api/."""
