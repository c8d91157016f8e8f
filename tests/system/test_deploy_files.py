"""deploy/ as an operator would use it, checked without a Docker engine (none runs here):
the compose file's structure, the Dockerfile's stages, the secrets it expects, the broker
config against tuning.conf, the example gateway config, and the systemd units."""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from cloud_hub.settings import HubSettings
from deploy.gen_mosquitto_auth import (
    DYNSEC_FILE,
    AuthConfigError,
    GatewayId,
    dynsec_config,
    generate,
    hash_password,
    load_inventory,
    parse_gateway,
)
from deploy.init_secrets import main as init_secrets
from edge.config import load_config

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]


def command(service: dict[str, Any]) -> list[str]:
    cmd = service.get("command", [])
    return shlex.split(cmd) if isinstance(cmd, str) else list(cmd)


def replicas() -> dict[str, dict[str, Any]]:
    return {n: s for n, s in SERVICES.items() if command(s)[-2:] == ["cloud_hub", "serve"]}


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """container path -> source (volume name or ./path) of a service's mounts."""
    out = {}
    for spec in service.get("volumes", []):
        source, target = spec.split(":")[:2]
        out[target] = source
    return out


def test_the_services_a_production_site_needs() -> None:
    assert SERVICES["timescaledb"]["image"].startswith("timescale/timescaledb:")
    assert SERVICES["mosquitto"]["image"].startswith("eclipse-mosquitto:2")
    gateways = [s for s in SERVICES.values() if command(s)[:3] == ["python", "-m", "edge"]]
    assert [command(g) for g in gateways] == [
        ["python", "-m", "edge", "--config", "/etc/stockpulse/gateway.yaml"]]
    for name, service in SERVICES.items():
        for dep in service.get("depends_on", {}):
            assert dep in SERVICES, f"{name} depends on unknown {dep}"


def test_two_hub_replicas_share_one_group_with_their_own_client_ids() -> None:
    hubs = replicas()
    assert len(hubs) >= 2
    envs = [h["environment"] for h in hubs.values()]
    assert {e["HUB_MQTT_SHARED_GROUP"] for e in envs} == {"hub"}
    assert len({e["HUB_MQTT_CLIENT_ID"] for e in envs}) == len(envs)
    assert all(e["HUB_ENVIRONMENT"] == "production" and e["HUB_MQTT_HOST"] == "mosquitto"
               for e in envs)
    for h in hubs.values():  # schema applied once, broker up, before a replica starts
        assert h["depends_on"]["hub-migrate"]["condition"] == "service_completed_successfully"
        assert h["depends_on"]["mosquitto"]["condition"] == "service_healthy"
    assert command(SERVICES["hub-migrate"])[-2:] == ["cloud_hub", "migrate"]


def test_no_secret_is_written_in_the_compose_file() -> None:
    secret_words = re.compile(r"SECRET|PASSWORD|DATABASE_URL|TOKEN", re.I)
    for name, service in SERVICES.items():
        env = service.get("environment", {})
        assert not [k for k in env if secret_words.search(k)], f"{name} has inline secrets"
        for path in service.get("env_file", []):
            assert path.startswith("secrets/"), f"{name}: {path} is not under deploy/secrets"
    ignored = subprocess.run(["git", "check-ignore", "-q", str(DEPLOY / "secrets" / "hub.env")],
                             cwd=ROOT, timeout=30)
    assert ignored.returncode == 0, "deploy/secrets/ must be git-ignored"


def test_production_settings_need_the_secrets_file(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    env = dict(replicas()["hub-1"]["environment"])
    for key in [k for k in os.environ if k.startswith("HUB_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, str(value))
    with pytest.raises(ValueError, match="HUB_SECRET_KEY"):
        HubSettings()  # the compose environment alone: placeholder secret refused
    assert init_secrets([str(tmp_path)]) == 0
    hub_env = dict(line.split("=", 1) for line in (tmp_path / "hub.env").read_text().split())
    db_env = dict(line.split("=", 1) for line in (tmp_path / "db.env").read_text().split())
    for key, value in hub_env.items():
        monkeypatch.setenv(key, value)
    settings = HubSettings()
    assert settings.environment == "production" and len(settings.secret_key) >= 32
    assert settings.metrics_token and not settings.docs_on  # scraped with a token; no docs
    assert f":{db_env['POSTGRES_PASSWORD']}@timescaledb:" in (settings.database_url or "")
    assert (tmp_path / "hub.env").stat().st_mode & 0o077 == 0
    before = (tmp_path / "hub.env").read_text()
    assert init_secrets([str(tmp_path)]) == 0  # re-running never replaces a password
    assert (tmp_path / "hub.env").read_text() == before


def test_healthchecks_and_persistent_volumes() -> None:
    for name in ("timescaledb", "mosquitto", *replicas()):
        test = SERVICES[name]["healthcheck"]["test"]
        assert test[0] in ("CMD", "CMD-SHELL") and len(test) > 1, name
    declared = set(COMPOSE["volumes"])
    assert mounts(SERVICES["timescaledb"])["/var/lib/postgresql/data"] in declared
    assert mounts(SERVICES["mosquitto"])["/mosquitto/data"] in declared
    gateway = SERVICES["gateway-docks"]
    assert mounts(gateway)["/var/lib/stockpulse"] in declared
    for service in SERVICES.values():
        for target, source in mounts(service).items():
            if source.startswith("./") and not source.startswith("./secrets/"):
                assert (DEPLOY / source).exists(), f"{source} (for {target}) is missing"
            elif not source.startswith("./"):
                assert source in declared, f"volume {source} is not declared"


def test_broker_config_paths_are_mounted_and_keep_the_no_drop_tuning() -> None:
    conf = (DEPLOY / "mosquitto" / "mosquitto.conf").read_text()
    lines = {line.strip() for line in conf.splitlines()}
    tuning = [line.strip() for line in (DEPLOY / "mosquitto" / "tuning.conf").read_text()
              .splitlines() if line.strip() and not line.startswith("#")]
    assert tuning and set(tuning) <= lines
    assert {"allow_anonymous false", "listener 8883", "persistence true"} <= lines
    broker = mounts(SERVICES["mosquitto"])
    assert broker["/mosquitto/config/mosquitto.conf"] == "./mosquitto/mosquitto.conf"
    for path in re.findall(r"(/mosquitto/[a-z]+)/", conf):
        assert path in broker, f"{path} is used by mosquitto.conf but not mounted"
    assert SERVICES["mosquitto"]["ports"] == ["8883:8883"]  # plain 1883 stays internal


def test_the_gateway_service_config_loads_with_its_mounts(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    gateway = SERVICES["gateway-docks"]
    m = mounts(gateway)
    config_source = DEPLOY / m["/etc/stockpulse/gateway.yaml"]
    env = {**gateway["environment"], "EDGE_MQTT_PASSWORD": "from-the-credentials-file"}
    config = load_config(str(config_source), env)
    assert config.mqtt.host == "mosquitto" and config.mqtt.port == 8883
    assert config.mqtt.tls is not None and config.mqtt.tls.ca_certs in m
    assert Path(config.outbox.path).parent == Path("/var/lib/stockpulse")
    user = GatewayId(config.warehouse, config.gateway_id).username
    assert gateway["env_file"] == [f"secrets/mosquitto/credentials/{user}.env"]
    inventory = load_inventory(DEPLOY / "gateways.example.yaml")
    assert GatewayId(config.warehouse, config.gateway_id) in inventory


def test_dockerfile_targets_commands_and_user() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    stages = set(re.findall(r"^FROM \S+ AS (\w+)$", text, re.M))
    for service in SERVICES.values():
        build = service.get("build")
        if build:
            assert build["dockerfile"] == "deploy/Dockerfile" and build["target"] in stages
    for source in re.findall(r"^COPY (.+) \S+$", text, re.M):
        for part in source.split():
            assert (ROOT / part).exists(), f"COPY {part}: no such path"
    bodies = re.split(r"^FROM ", text, flags=re.M)
    hub = next(b for b in bodies if " AS hub" in b.splitlines()[0])
    edge = next(b for b in bodies if " AS edge" in b.splitlines()[0])
    assert '"cloud_hub", "serve"' in hub and "USER stockpulse" in hub
    assert '"edge", "--config", "/etc/stockpulse/gateway.yaml"' in edge
    assert "USER stockpulse" in edge
    extras: set[str] = set()
    pyproject = (ROOT / "pyproject.toml").read_text()
    for group in re.findall(r'pip install "\.\[([a-z,]+)\]"', text):
        for extra in group.split(","):
            assert re.search(rf"^{extra} = \[", pyproject, re.M), f"no extra {extra}"
            extras.add(extra)
    assert {"hub", "edge"} <= extras


def test_acl_generator_refuses_bad_gateway_lists() -> None:
    with pytest.raises(AuthConfigError):
        parse_gateway("WH1")
    with pytest.raises(AuthConfigError):
        parse_gateway("WH1/gw/extra")
    with pytest.raises(AuthConfigError):
        parse_gateway("WH1/#")
    passwords = {"hub": "h", "healthcheck": "c", "gw@WH1": "g", "gw-a@WH1": "a"}
    with pytest.raises(AuthConfigError):
        dynsec_config([GatewayId("WH1", "gw"), GatewayId("WH1", "gw")], passwords)
    config = dynsec_config([GatewayId("WH1", "gw-a")], passwords)
    assert config["defaultACLAccess"] == {"publishClientSend": False,
                                          "publishClientReceive": False,
                                          "subscribe": False, "unsubscribe": True}
    roles = {r["rolename"]: r["acls"] for r in config["roles"]}  # type: ignore[attr-defined]
    gateway = {(a["acltype"], a["topic"]) for a in roles["gateway:gw-a@WH1"]}
    assert ("publishClientSend", "stockpulse/v1/WH1/gw-a/moves") in gateway
    writes = [t for kind, t in gateway if kind == "publishClientSend"]
    assert writes and not [t for t in writes if "#" in t or "+" in t], \
        "a gateway may never write a wildcard"
    assert not [t for kind, t in gateway if kind.startswith("subscribe") and "moves" in t]
    clients = {c["username"]: c for c in config["clients"]}  # type: ignore[attr-defined]
    assert clients["gw-a@WH1"]["clientid"] == "gw-a@WH1"
    assert "clientid" not in clients["hub"]  # replicas connect with their own ids


def test_dev_ca_script_refuses_to_write_keys_git_would_commit() -> None:
    out = subprocess.run([str(DEPLOY / "tls" / "make_dev_ca.sh"), str(DEPLOY / "tls" / "x")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "refusing" in out.stderr
    assert not (DEPLOY / "tls" / "x").exists()


UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
HARDENING = {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
             "PrivateTmp": "yes", "CapabilityBoundingSet": "", "RestrictSUIDSGID": "yes"}


def unit_keys(path: Path) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            keys.setdefault(key, []).append(value)
    return keys


@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_systemd_unit_is_hardened_and_restarts(unit: Path) -> None:
    keys = unit_keys(unit)
    assert keys["Restart"] == ["always"] and keys["User"] == ["stockpulse"]
    for key, value in HARDENING.items():
        assert keys.get(key) == [value], f"{unit.name}: {key}"
    if unit.name == "stockpulse-gateway.service":
        assert keys["ExecStart"] == [
            "/opt/stockpulse/venv/bin/python -m edge --config /etc/stockpulse/gateway.yaml"]
        assert keys["StateDirectory"] == ["stockpulse"]  # the outbox lives there


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_systemd_analyze_verify_finds_nothing(unit: Path, tmp_path: Path) -> None:
    """systemd's own parser: unknown keys or bad values are printed (exit status stays 0)."""
    name = unit.name.replace("@.service", "@1.service")
    (tmp_path / name).write_text(unit.read_text().replace("/opt/stockpulse/venv/bin/python",
                                                          sys.executable))
    out = subprocess.run(["systemd-analyze", "verify", "--man=no", f"./{name}"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and not out.stderr.strip(), out.stderr


def test_acl_generator_keeps_passwords_rotates_on_request_and_hashes(tmp_path: Path) -> None:
    gateways = [GatewayId("WH1", "gw-a")]
    first = {u: p.read_text() for u, p in generate(tmp_path, gateways).items()}
    assert set(first) == {"hub", "healthcheck", "gw-a@WH1"}
    again = {u: p.read_text() for u, p in generate(tmp_path, gateways).items()}
    assert again == first  # re-running for a new gateway must not lock the others out
    rotated = {u: p.read_text() for u, p in
               generate(tmp_path, gateways, frozenset({"gw-a@WH1"})).items()}
    assert rotated["gw-a@WH1"] != first["gw-a@WH1"] and rotated["hub"] == first["hub"]
    text = (tmp_path / DYNSEC_FILE).read_text()
    password = rotated["gw-a@WH1"].split("EDGE_MQTT_PASSWORD=")[1].strip()
    assert password not in text  # salted PBKDF2 hashes only
    client = next(c for c in json.loads(text)["clients"] if c["username"] == "gw-a@WH1")
    assert client["password"] == hash_password(password, base64.b64decode(client["salt"]))
    assert (tmp_path / DYNSEC_FILE).stat().st_mode & 0o077 == 0
