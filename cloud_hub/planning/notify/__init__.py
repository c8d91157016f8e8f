"""How rules reach the outside: MQTT alerts on the hub's broker settings, webhooks, and the
rules runner that evaluates rules after commits and sends what they raise."""
