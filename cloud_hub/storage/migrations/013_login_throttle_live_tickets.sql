-- Failed sign-ins per user name and per address ('user:<name>', 'address:<ip>'): a key that
-- failed too often in its window is locked until locked_until. Unknown names are counted the
-- same as known ones, so a lockout tells nothing about who exists.
CREATE TABLE login_failures (
    key          text PRIMARY KEY,
    failures     integer NOT NULL,
    window_start timestamptz NOT NULL,
    locked_until timestamptz
);

-- Single-use tickets for the live WebSocket, bought with a bearer token (stored hashed, like
-- the tokens): a ticket is good once, for seconds, for its warehouse (NULL: every warehouse,
-- only for callers who may see all), and only while the token that bought it still is.
CREATE TABLE live_tickets (
    ticket_hash text PRIMARY KEY,
    token_hash  text NOT NULL,
    warehouse   text,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX live_tickets_expiry ON live_tickets (expires_at);
CREATE INDEX login_failures_window ON login_failures (window_start);
