-- The hub as a service: users, bearer tokens (stored hashed), gateways and their health.

CREATE TABLE users (
    name          text PRIMARY KEY,
    password_hash text NOT NULL,
    roles         text[] NOT NULL,
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE gateways (
    warehouse      text NOT NULL,
    gateway        text NOT NULL,
    state          text NOT NULL DEFAULT 'unknown',
    last_heartbeat timestamptz,
    last_status_at timestamptz,
    queue_depth    bigint,
    info           jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (warehouse, gateway)
);

CREATE TABLE api_tokens (
    token_hash  text PRIMARY KEY,
    principal   text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('user', 'device')),
    roles       text[] NOT NULL,
    warehouse   text,
    gateway     text,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX api_tokens_principal ON api_tokens (principal);
