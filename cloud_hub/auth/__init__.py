"""Users, roles, device credentials and bearer tokens: the rules here (roles, policy,
throttle), their storage in pg/, the access guard and sign-in routes in api/."""
