#!/usr/bin/env bash
# A development CA, a broker certificate and optional gateway client certificates, made with
# openssl into OUT_DIR: outside the repository or under the git-ignored deploy/secrets/
# (private keys must never be committed).
#
#   deploy/tls/make_dev_ca.sh OUT_DIR [--host NAME]... [--client NAME]... [--days N]
#
# OUT_DIR/ca.crt, ca.key        the CA (keep ca.key offline in real use)
# OUT_DIR/server.crt, .key      the broker; SANs: mosquitto, localhost, 127.0.0.1 + --host
# OUT_DIR/clients/NAME.crt,.key one per --client (for require_certificate true)
# Re-running keeps an existing CA and re-issues the leaf certificates.
set -euo pipefail

usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 1 ] || usage
out=$1; shift
hosts=(mosquitto localhost) clients=() days=825
while [ $# -gt 0 ]; do
  case $1 in
    --host) hosts+=("$2"); shift 2 ;;
    --client) clients+=("$2"); shift 2 ;;
    --days) days=$2; shift 2 ;;
    *) usage ;;
  esac
done
command -v openssl >/dev/null || { echo "openssl not found" >&2; exit 1; }
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel 2>/dev/null || true)
target=$(realpath -m "$out")
if [ -n "$repo" ] && [[ $target == "$repo"/* ]] && ! git -C "$repo" check-ignore -q "$target/ca.key"; then
  echo "refusing to write keys where git would commit them: use deploy/secrets/ or a" \
    "directory outside the repository" >&2
  exit 2
fi
umask 077
mkdir -p "$out/clients"

if [ ! -f "$out/ca.key" ]; then
  openssl req -x509 -new -newkey rsa:3072 -nodes -sha256 -days "$days" \
    -subj "/O=StockPulse development/CN=StockPulse dev CA" \
    -keyout "$out/ca.key" -out "$out/ca.crt" 2>/dev/null
fi

san="IP:127.0.0.1"
for h in "${hosts[@]}"; do
  if [[ $h =~ ^[0-9.]+$ || $h == *:* ]]; then san+=",IP:$h"; else san+=",DNS:$h"; fi
done

issue() {  # issue NAME_PATH CN EXTENSIONS
  openssl req -new -newkey rsa:2048 -nodes -sha256 -subj "/O=StockPulse/CN=$2" \
    -keyout "$1.key" -out "$1.csr" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
    -days "$days" -sha256 -extfile <(printf '%s\n' "$3") -out "$1.crt" 2>/dev/null
  rm -f "$1.csr"
}

issue "$out/server" "${hosts[0]}" "subjectAltName=$san
extendedKeyUsage=serverAuth
keyUsage=digitalSignature,keyEncipherment"
for c in "${clients[@]}"; do
  issue "$out/clients/$c" "$c" "extendedKeyUsage=clientAuth
keyUsage=digitalSignature,keyEncipherment"
done
chmod 644 "$out/ca.crt" "$out/server.crt"
echo "CA: $out/ca.crt; broker: $out/server.crt (SAN $san); clients: ${clients[*]:-none}"
