"""The live feed: what committed moves, balances and gateway news look like to a WebSocket
client (messages.py) and the sockets that carry them (api/)."""
