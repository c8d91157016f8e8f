#!/usr/bin/env bash
# Make sure PostgreSQL and Mosquitto answer on 127.0.0.1: start them when installed but
# stopped, install them with apt-get when absent. Used by `make test` (CI has no stdin).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then apt-get update -qq || true; apt_updated=1; fi
  apt-get install -y -qq "$@" >/dev/null
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  for _ in $(seq 1 100); do port_open "$1" && return 0; sleep 0.1; done
  echo "service on port $1 did not come up" >&2; return 1
}

if ! port_open 5432; then
  if ! command -v pg_ctlcluster >/dev/null; then apt_install postgresql; fi
  ver=$(ls /etc/postgresql | sort -V | tail -n 1)
  if ! pg_lsclusters -h | grep -q .; then pg_createcluster "$ver" main; fi
  conf=/etc/postgresql/$ver/main
  # trust on loopback for the test user postgres, as on the developer machines
  if ! grep -q 'stockpulse-trust' "$conf/pg_hba.conf"; then
    sed -i '1i host all all 127.0.0.1/32 trust # stockpulse-trust' "$conf/pg_hba.conf"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start
  wait_port 5432
fi
echo "postgresql: up on 127.0.0.1:5432"

if ! port_open 1883; then
  if ! command -v mosquitto >/dev/null; then apt_install mosquitto; fi
  mosquitto -d -c /etc/mosquitto/mosquitto.conf
  wait_port 1883
fi
echo "mosquitto: up on 127.0.0.1:1883"
