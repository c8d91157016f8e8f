#!/usr/bin/env bash
# `make demo` runs its own private Mosquitto: install the binary when it is absent and this
# machine can (root with apt-get). Otherwise say so: the demo then tries the embedded amqtt,
# which refuses the MQTT 5 sessions the hub and gateways open.
set -uo pipefail
if command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing mosquitto (apt-get) for the demo's broker"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || true
  apt-get install -y -qq mosquitto >/dev/null && exit 0
fi
echo "mosquitto is not installed and could not be installed here; install it" \
     "(apt-get install mosquitto) — the embedded fallback broker does not speak MQTT 5" >&2
exit 0
