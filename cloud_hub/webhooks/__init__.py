"""Outbound webhooks: subscriptions, a durable outbox delivered in order per subscription,
signed per the Standard Webhooks convention (docs/webhooks.md)."""
