"""Ingest's MQTT side: the paho subscriber (bytes to queues, acks after commit) and the hub's
retained presence."""
