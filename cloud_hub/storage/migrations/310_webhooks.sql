-- Outbound webhooks (cloud_hub/webhooks): subscriptions and the outbox they are delivered
-- from, in id order per subscription.
--
-- Moves reach the outbox through webhook_fanout_state, a watermark over moves.seq (the rule
-- the demand and lot projections keep, cloud_hub/ledger/pg/watermark.py): the ledger is the
-- outbox of its own moves, written in the move's transaction, and the fan-out copies each
-- committed move once to every subscription that wants it. Other events (alerts) are written
-- to webhook_deliveries in the transaction that records them.

CREATE TABLE webhook_subscriptions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL,
    url             text NOT NULL,
    secret          text NOT NULL,              -- whsec_<base64>, shown once at creation
    event_types     text[] NOT NULL,
    warehouse       text,
    sku             text,
    location_prefix text,
    allow_private   boolean NOT NULL DEFAULT false,
    max_attempts    integer NOT NULL DEFAULT 24 CHECK (max_attempts BETWEEN 1 AND 100),
    active          boolean NOT NULL DEFAULT true,
    created_by      text,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id bigint NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
    message_id      text NOT NULL,              -- the webhook-id header: receivers dedupe on it
    event_type      text NOT NULL,
    payload         json NOT NULL,              -- the "data" of the message
    occurred_at     timestamptz NOT NULL,       -- the "timestamp" of the message
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_status     integer,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    UNIQUE (subscription_id, message_id)
);
-- The head of each subscription's queue, and the log an admin pages through.
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (subscription_id, id)
    WHERE state = 'pending';

CREATE TABLE webhook_fanout_state (
    one             boolean PRIMARY KEY DEFAULT true CHECK (one),
    through_seq     bigint NOT NULL DEFAULT 0,
    pending_seq     bigint,
    pending_writers text[],
    refreshed_at    timestamptz
);
-- Subscriptions get what happens from now on, not the history before webhooks existed.
INSERT INTO webhook_fanout_state (through_seq) SELECT coalesce(max(seq), 0) FROM moves;
