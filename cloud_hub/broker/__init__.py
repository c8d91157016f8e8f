"""The hub's link to the MQTT broker: one way to make a client from the hub's settings."""
