"""Auth's PostgreSQL side: users, tokens, gateway credentials, sign-in throttling, live tickets."""
