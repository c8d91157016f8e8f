"""Gateway config: the example loads; every error names the key (and its line)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from edge.config import ConfigError, load_config, load_config_text
from protocol import Reason

EXAMPLE = Path(__file__).resolve().parents[2] / "edge" / "examples" / "demo_site.yaml"
BASE = "warehouse: WH1\ngateway_id: gw1\n"


def test_the_demo_site_example_is_valid() -> None:
    config = load_config(EXAMPLE, {})
    assert config.warehouse == "WH1"
    assert {s.location for s in config.scanners} == {"DOCK-1", "DOCK-2"}
    assert config.scanners[1].unit_reason is Reason.SHIP
    assert config.outbox.max_events >= 1_000_000
    assert config.cameras[0].regions[0].location == "DOCK-1"


@pytest.mark.parametrize(("text", "message"), [
    ("gateway_id: gw1\n", "warehouse: is required"),
    ("warehouse: W/1\ngateway_id: gw1\n", "warehouse (line 1): must be 1-64"),
    (BASE + "mqtt:\n  host: h\n  port: abc\n", "mqtt.port (line 5): must be an integer"),
    (BASE + "mqtt:\n  port: 70000\n", "mqtt.port (line 4): must be between 1 and 65535"),
    (BASE + "mqtt:\n  hots: h\n", "mqtt.hots (line 4): unknown key"),
    (BASE + "mqtt: [1, 2]\n", "mqtt (line 3): must be a mapping"),
    (BASE + "outbox:\n  max_events: -5\n", "outbox.max_events (line 4)"),
    (BASE + "outbox:\n  max_bytes: lots\n", "outbox.max_bytes (line 4)"),
    (BASE + "outbox:\n  synchronous: maybe\n", "outbox.synchronous (line 4)"),
    (BASE + "heartbeat_s: soon\n", "heartbeat_s (line 3): must be"),
    (BASE + "scanners:\n  - id: s1\n    port: /dev/x\n", "scanners[0].location (line 4): is "
                                                         "required"),
    (BASE + "scanners:\n  - id: s1\n    port: /dev/x\n    location: D\n    baudrate: fast\n",
     "scanners[0].baudrate (line 7)"),
    (BASE + "scanners:\n  - id: s1\n    port: p\n    location: D\n    unit_reason: stolen\n",
     "scanners[0].unit_reason (line 7): must be one of receive"),
    (BASE + "scanners: {id: s1}\n", "scanners (line 3): must be a list"),
    (BASE + "cameras:\n  - id: c1\n    source: 0\n    regions:\n"
            "      - {location: A, box: [0, 0, 1.5, 1]}\n",
     "cameras[0].regions[0].box (line 7): must be between 0.0 and 1.0"),
    (BASE + "cameras:\n  - id: c1\n    source: 0\n    regions: []\n",
     "cameras[0].regions (line 6): must be a non-empty list"),
    (BASE + "cameras:\n  - id: c1\n    source: 0\n    stable_frames: 0\n    regions:\n"
            "      - {location: A, box: [0, 0, 1, 1]}\n", "cameras[0].stable_frames (line 6)"),
    (BASE + "scanners:\n  - {id: x, port: p, location: L}\ncameras:\n  - id: x\n    source: 0\n"
            "    regions: [{location: A, box: [0, 0, 1, 1]}]\n", "'x' is used twice"),
    (BASE + "warehouse: WH2\n", "warehouse (line 3): key given twice"),
    ("warehouse: [\n", "not valid YAML"),
    (BASE + "colour: blue\n", "colour (line 3): unknown key"),
])
def test_errors_name_the_key_and_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_config_text(text, {})
    assert message in str(error.value)


def test_environment_overrides_the_file_and_is_named_in_errors() -> None:
    config = load_config_text(BASE + "mqtt:\n  host: broker\n",
                              {"EDGE_MQTT_HOST": "10.0.0.5", "EDGE_MQTT_PORT": "1884",
                               "EDGE_OUTBOX_MAX_EVENTS": "5000", "EDGE_GATEWAY_ID": "gw9"})
    assert (config.mqtt.host, config.mqtt.port) == ("10.0.0.5", 1884)
    assert config.outbox.max_events == 5000 and config.gateway_id == "gw9"
    with pytest.raises(ConfigError, match=r"mqtt.port \(from EDGE_MQTT_PORT\)"):
        load_config_text(BASE, {"EDGE_MQTT_PORT": "x"})


def test_a_gateway_waits_for_a_subscribed_hub_unless_told_not_to() -> None:
    assert load_config_text(BASE, {}).mqtt.wait_for_hub
    assert not load_config_text(BASE + "mqtt:\n  wait_for_hub: false\n", {}).mqtt.wait_for_hub
    assert not load_config_text(BASE, {"EDGE_MQTT_WAIT_FOR_HUB": "off"}).mqtt.wait_for_hub
    with pytest.raises(ConfigError, match=r"mqtt.wait_for_hub \(line 4\): must be true"):
        load_config_text(BASE + "mqtt:\n  wait_for_hub: sometimes\n", {})


def test_sizes_tls_and_relative_paths(tmp_path: Path) -> None:
    file = tmp_path / "gw.yaml"
    file.write_text(BASE + "mqtt:\n  tls: {ca_certs: ca.pem}\noutbox:\n  path: q.sqlite\n"
                    "  max_bytes: 500MB\n")
    config = load_config(file, {})
    assert config.mqtt.tls is not None and config.mqtt.port == 8883
    assert config.outbox.path == str(tmp_path / "q.sqlite")
    assert config.outbox.max_bytes == 500_000_000


def test_cli_reports_a_bad_config_and_exits_non_zero(tmp_path: Path) -> None:
    file = tmp_path / "gw.yaml"
    file.write_text(BASE + "mqtt:\n  port: abc\n")
    for args in (["--config", str(file)], ["run", "--config", str(file)],
                 ["check-config", str(file)]):
        done = subprocess.run([sys.executable, "-m", "edge", *args], capture_output=True,
                              text=True, timeout=60, check=False)
        assert done.returncode == 2
        assert "mqtt.port (line 4): must be an integer" in done.stderr
        assert "Traceback" not in done.stderr


def test_rfid_section_errors_come_back_with_their_line() -> None:
    pytest.importorskip("edge.rfid.config")
    text = (BASE + "rfid:\n  readers:\n    - id: r1\n      host: 127.0.0.1\n"
            "      port: notaport\n")
    with pytest.raises(ConfigError, match=r"rfid.readers\[0\].port \(line 7\)"):
        load_config_text(text, {})
