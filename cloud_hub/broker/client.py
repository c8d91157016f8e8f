"""paho clients made from the hub's MQTT settings, for every part of the hub that connects.

Rule kept here: whatever in the hub speaks to the broker (MQTT ingest, the rules' alert
publisher) gets its credentials and TLS from here, so a broker that needs them never sees a
hub client without them (with TLS on, alerts used to stop silently: issue 20).
"""

from __future__ import annotations

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from cloud_hub.settings import HubSettings


def hub_client(settings: HubSettings, client_id: str, *,
               protocol: MQTTProtocolVersion = MQTTProtocolVersion.MQTTv311,
               manual_ack: bool = False) -> mqtt.Client:
    """A paho client (callback API 2) with the hub's user name, password and TLS settings;
    not connected yet."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol,
                         manual_ack=manual_ack)
    if settings.mqtt_username:
        client.username_pw_set(settings.mqtt_username, settings.mqtt_password)
    if settings.mqtt_tls_ca_file:
        client.tls_set(ca_certs=settings.mqtt_tls_ca_file, certfile=settings.mqtt_tls_cert_file,
                       keyfile=settings.mqtt_tls_key_file)
    return client
