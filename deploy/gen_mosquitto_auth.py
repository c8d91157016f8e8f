"""Per-gateway broker credentials: Mosquitto's dynamic-security config and one env file each.

Rule kept here: a gateway's user may publish only under stockpulse/v1/<its warehouse>/<its
gateway>/, subscribe to and read only its own commands topic and the hubs' presence, and
connect only with one client id, its user name; only the hub user subscribes to moves
(shared or not) and may use any other client id. Anything not granted is refused. Existing
passwords are kept on re-runs unless rotated.

    python deploy/gen_mosquitto_auth.py OUT_DIR --gateway WH1/gw-docks [--gateway ...]
    python deploy/gen_mosquitto_auth.py OUT_DIR --inventory deploy/gateways.example.yaml
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import secrets
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from protocol.errors import ContractError
from protocol.topics import HUB_PRESENCE_FILTER, ROOT, VERSION, Channel, check_id, topic

HUB_USER = "hub"
HEALTHCHECK_USER = "healthcheck"
HEALTHCHECK_TOPIC = "$SYS/broker/uptime"
GATEWAY_WRITES = (Channel.MOVES, Channel.STATUS, Channel.HEARTBEAT, Channel.READINGS)
GATEWAY_READS = (Channel.COMMANDS,)
DYNSEC_FILE = "dynamic-security.json"
# The plugin's own PBKDF2 parameters (mosquitto src/password_mosq.h: SALT_LEN 12, 101
# iterations of HMAC-SHA512). More iterations buy nothing for 192-bit random passwords and
# would cost the single-threaded broker CPU on every reconnect storm.
SALT_BYTES = 12
PBKDF2_ITERATIONS = 101


class AuthConfigError(ValueError):
    """The gateway list or an existing credentials directory is not usable."""


@dataclass(frozen=True, slots=True)
class GatewayId:
    warehouse: str
    gateway: str

    @property
    def username(self) -> str:
        # '@' is outside the id alphabet, so the name is unambiguous and unique per broker;
        # it is also the one client id the broker lets this user connect with.
        return f"{self.gateway}@{self.warehouse}"


def parse_gateway(text: str) -> GatewayId:
    """'WH1/gw-docks' -> GatewayId; AuthConfigError on anything else."""
    warehouse, sep, gateway = text.partition("/")
    if not sep:
        raise AuthConfigError(f"gateway {text!r} must be written WAREHOUSE/GATEWAY")
    try:
        return GatewayId(check_id(warehouse, "warehouse"), check_id(gateway, "gateway"))
    except ContractError as exc:
        raise AuthConfigError(f"gateway {text!r}: {exc}") from None


def load_inventory(path: Path) -> list[GatewayId]:
    """`gateways: [{warehouse: WH1, gateway: gw-docks}, ...]` from a YAML file."""
    data = yaml.safe_load(path.read_text()) or {}
    entries = data.get("gateways") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise AuthConfigError(f"{path}: expected a top-level 'gateways:' list")
    out = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not {"warehouse", "gateway"} <= entry.keys():
            raise AuthConfigError(f"{path}: gateways[{i}] needs 'warehouse' and 'gateway'")
        out.append(parse_gateway(f"{entry['warehouse']}/{entry['gateway']}"))
    return out


# -- the dynamic-security config -------------------------------------------------------------
# Mosquitto 2.0's acl_file cannot do what the rule needs: its check answers "allowed" to every
# SUBSCRIBE (a gateway was granted $share/hub/... and took every other move out of the hubs'
# group) and it cannot tie a user to a client id (a gateway took the hub's and knocked it
# off). The dynamic-security plugin checks subscriptions against subscribe ACLs and refuses a
# CONNECT whose client id is not the one its user is bound to (plugins/dynamic-security/
# auth.c, acl.c). Its JSON format: plugins/dynamic-security/README.md.
Acl = tuple[str, str]  # (acltype, topic)


def _role(name: str, acls: Iterable[Acl]) -> dict[str, object]:
    return {"rolename": name, "acls": [{"acltype": kind, "topic": t, "allow": True,
                                        "priority": 0} for kind, t in acls]}


def hub_acls() -> list[Acl]:
    everything = f"{ROOT}/{VERSION}/#"
    return [("subscribePattern", everything), ("subscribePattern", f"$share/+/{everything}"),
            ("publishClientReceive", everything),
            ("publishClientSend", f"{ROOT}/{VERSION}/+/{Channel.ALERTS}"),
            ("publishClientSend", f"{ROOT}/{VERSION}/+/+/{Channel.COMMANDS}"),
            # presence: retained, and the hub's will (Mosquitto refuses a CONNECT whose
            # will the ACL does not allow, so a hub without this line cannot connect)
            ("publishClientSend", HUB_PRESENCE_FILTER)]


def gateway_acls(gw: GatewayId) -> list[Acl]:
    acls = [("publishClientSend", topic(gw.warehouse, gw.gateway, ch)) for ch in GATEWAY_WRITES]
    for readable in [topic(gw.warehouse, gw.gateway, ch) for ch in GATEWAY_READS] + [
            HUB_PRESENCE_FILTER]:  # the presence: gateways wait for a subscribed hub
        acls += [("subscribeLiteral", readable), ("publishClientReceive", readable)]
    return acls


def hash_password(password: str, salt: bytes) -> str:
    """The plugin's stored form: base64 of PBKDF2-HMAC-SHA512 (64 bytes)."""
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, PBKDF2_ITERATIONS, 64)
    return base64.b64encode(digest).decode()


def _client(username: str, password: str, role: str, clientid: str | None
            ) -> dict[str, object]:
    salt = secrets.token_bytes(SALT_BYTES)
    client: dict[str, object] = {
        "username": username, "salt": base64.b64encode(salt).decode(),
        "password": hash_password(password, salt), "iterations": PBKDF2_ITERATIONS,
        "roles": [{"rolename": role, "priority": 0}]}
    if clientid is not None:
        client["clientid"] = clientid
    return client


def check_unique(gateways: Iterable[GatewayId]) -> None:
    seen: set[str] = set()
    for gw in gateways:
        if gw.username in seen:
            raise AuthConfigError(f"gateway {gw.warehouse}/{gw.gateway} is listed twice")
        seen.add(gw.username)


def dynsec_config(gateways: Sequence[GatewayId], passwords: dict[str, str]
                  ) -> dict[str, object]:
    """The whole plugin config: deny by default, one role per user, gateways bound to their
    client id. `passwords` holds every user's plain password."""
    check_unique(gateways)
    roles = [_role(HUB_USER, hub_acls()),
             _role(HEALTHCHECK_USER, [("subscribeLiteral", HEALTHCHECK_TOPIC),
                                      ("publishClientReceive", HEALTHCHECK_TOPIC)])]
    clients = [_client(HUB_USER, passwords[HUB_USER], HUB_USER, None),  # replicas: own ids
               _client(HEALTHCHECK_USER, passwords[HEALTHCHECK_USER], HEALTHCHECK_USER,
                       HEALTHCHECK_USER)]
    for gw in gateways:
        role = f"gateway:{gw.username}"
        roles.append(_role(role, gateway_acls(gw)))
        clients.append(_client(gw.username, passwords[gw.username], role, gw.username))
    return {"defaultACLAccess": {"publishClientSend": False, "publishClientReceive": False,
                                 "subscribe": False, "unsubscribe": True},
            "roles": roles, "clients": clients, "groups": []}


def env_text(username: str, password: str, prefix: str) -> str:
    return f"{prefix}_MQTT_USERNAME={username}\n{prefix}_MQTT_PASSWORD={password}\n"


def _read_password(path: Path) -> str | None:
    if not path.exists():
        return None
    for line in path.read_text().splitlines():
        key, _, value = line.partition("=")
        if key.endswith("_MQTT_PASSWORD") and value:
            return value
    raise AuthConfigError(f"{path} has no *_MQTT_PASSWORD line; delete it to make a new one")


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def generate(out: Path, gateways: Sequence[GatewayId], rotate: frozenset[str] = frozenset()
             ) -> dict[str, Path]:
    """Write dynamic-security.json and credentials/<user>.env under `out`; return user ->
    env file."""
    check_unique(gateways)
    creds = out / "credentials"
    creds.mkdir(parents=True, exist_ok=True, mode=0o700)
    users = [(HUB_USER, "HUB"), (HEALTHCHECK_USER, "HEALTHCHECK")]
    users += [(gw.username, "EDGE") for gw in gateways]
    passwords, files = {}, {}
    for username, prefix in users:
        env = creds / f"{username}.env"
        password = None if username in rotate else _read_password(env)
        if password is None:
            password = secrets.token_urlsafe(24)
            _write_private(env, env_text(username, password, prefix))
        passwords[username] = password
        files[username] = env
    config = dynsec_config(gateways, passwords)
    _write_private(out / DYNSEC_FILE, json.dumps(config, indent=2) + "\n")
    return files


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="gen_mosquitto_auth.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", type=Path, help="directory for dynamic-security.json and credentials/")
    p.add_argument("--gateway", action="append", default=[], metavar="WH/GW")
    p.add_argument("--inventory", type=Path, help="YAML with a 'gateways:' list")
    p.add_argument("--rotate", action="append", default=[], metavar="USER",
                   help="make a new password for this user (hub, healthcheck, GW@WH)")
    args = p.parse_args(argv)
    try:
        gateways = [parse_gateway(g) for g in args.gateway]
        if args.inventory is not None:
            gateways += load_inventory(args.inventory)
        files = generate(args.out, gateways, frozenset(args.rotate))
    except (AuthConfigError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.out / DYNSEC_FILE}; restart the broker to load it. "
          "Credentials (keep private):")
    for user, path in files.items():
        print(f"  {user}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
