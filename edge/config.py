"""Gateway YAML (plus EDGE_* environment overrides) -> GatewaySettings, validated.

Rule kept here: every refusal is a ConfigError naming the key as a dotted path and, when
it came from the file, its line — `scanners[0].baudrate (line 14): must be an integer`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

import yaml

from edge.settings import (
    CameraSettings,
    GatewaySettings,
    MqttSettings,
    OutboxSettings,
    Region,
    ScannerSettings,
    TlsSettings,
)
from protocol import Reason
from protocol.topics import ID_PATTERN

T = TypeVar("T")
Path_ = tuple[str | int, ...]

# EDGE_* variables and the key each one overrides.
ENV_KEYS: dict[str, tuple[str, ...]] = {
    "EDGE_WAREHOUSE": ("warehouse",),
    "EDGE_GATEWAY_ID": ("gateway_id",),
    "EDGE_MQTT_HOST": ("mqtt", "host"),
    "EDGE_MQTT_PORT": ("mqtt", "port"),
    "EDGE_MQTT_USERNAME": ("mqtt", "username"),
    "EDGE_MQTT_PASSWORD": ("mqtt", "password"),
    "EDGE_MQTT_KEEPALIVE": ("mqtt", "keepalive"),
    "EDGE_MQTT_WAIT_FOR_HUB": ("mqtt", "wait_for_hub"),
    "EDGE_OUTBOX_PATH": ("outbox", "path"),
    "EDGE_OUTBOX_MAX_EVENTS": ("outbox", "max_events"),
    "EDGE_OUTBOX_MAX_BYTES": ("outbox", "max_bytes"),
    "EDGE_HEARTBEAT_S": ("heartbeat_s",),
}
TOP_KEYS = {"warehouse", "gateway_id", "mqtt", "outbox", "heartbeat_s", "rfid", "scanners",
            "cameras"}
_SIZE_UNITS = {"KB": 1000, "MB": 1000**2, "GB": 1000**3,
               "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3, "B": 1}


class ConfigError(ValueError):
    """The gateway configuration is not valid; the message names the key (and line)."""


class _Doc:
    """Parsed YAML plus the line of every key, so errors can point into the file."""

    def __init__(self, data: object, lines: dict[Path_, int], origin: dict[Path_, str]):
        self.data = data
        self.lines = lines
        self.origin = origin

    def where(self, path: Path_) -> str:
        name = _dotted(path)
        if path in self.origin:
            return f"{name} ({self.origin[path]})"
        for cut in range(len(path), 0, -1):
            if path[:cut] in self.lines:
                return f"{name} (line {self.lines[path[:cut]]})"
        return name

    def fail(self, path: Path_, message: str) -> ConfigError:
        return ConfigError(f"{self.where(path)}: {message}")


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "config"


def _to_python(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> object:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, object] = {}
        for key_node, value_node in node.value:
            key = str(_scalar(key_node))
            if key in out:
                raise ConfigError(f"{_dotted((*path, key))} (line "
                                  f"{key_node.start_mark.line + 1}): key given twice")
            out[key] = _to_python(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, (*path, i), lines) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> object:
    return yaml.constructor.SafeConstructor().construct_object(node, deep=True)


def parse_yaml(text: str, name: str = "config") -> _Doc:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name}: not valid YAML: {exc}") from None
    lines: dict[Path_, int] = {}
    data = {} if root is None else _to_python(root, (), lines)
    return _Doc(data, lines, {})


def apply_env(doc: _Doc, env: Mapping[str, str]) -> None:
    if not isinstance(doc.data, dict):
        return
    for var, path in ENV_KEYS.items():
        if var not in env:
            continue
        target = doc.data
        for part in path[:-1]:
            nxt = target.setdefault(part, {})
            if not isinstance(nxt, dict):
                raise doc.fail((part,), "must be a mapping")
            target = nxt
        target[path[-1]] = env[var]
        doc.origin[path] = f"from {var}"


# -- typed getters ---------------------------------------------------------------------------
def _mapping(doc: _Doc, value: object, path: Path_, known: set[str]) -> dict[str, object]:
    if not isinstance(value, dict):
        raise doc.fail(path, f"must be a mapping, not {type(value).__name__}")
    for key in value:
        if key not in known:
            raise doc.fail((*path, key), f"unknown key; known keys: {', '.join(sorted(known))}")
    return value


def _get(doc: _Doc, m: Mapping[str, object], path: Path_, key: str,
         conv: Callable[[object], T], default: T | None = None, *, required: bool = False
         ) -> T:
    if key not in m or m[key] is None:
        if required:
            raise doc.fail((*path, key), "is required")
        return default  # type: ignore[return-value]
    try:
        return conv(m[key])
    except (TypeError, ValueError) as exc:
        raise doc.fail((*path, key), f"{exc} (got {m[key]!r})") from None


def text(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float) or not str(value):
        raise ValueError("must be a non-empty string")
    return str(value)


def ident(value: object) -> str:
    value = text(value)
    if not ID_PATTERN.match(value):
        raise ValueError("must be 1-64 letters, digits, '_', '.', '-' (no '/', '+', '#')")
    return value


def integer(low: int, high: int) -> Callable[[object], int]:
    def conv(value: object) -> int:
        if isinstance(value, bool) or not str(value).strip().lstrip("-").isdigit():
            raise ValueError("must be an integer")
        number = int(str(value))
        if not low <= number <= high:
            raise ValueError(f"must be between {low} and {high}")
        return number
    return conv


def number(low: float, high: float) -> Callable[[object], float]:
    def conv(value: object) -> float:
        try:
            if isinstance(value, bool):
                raise ValueError
            result = float(str(value))
        except ValueError:
            raise ValueError("must be a number") from None
        if not low <= result <= high:
            raise ValueError(f"must be between {low} and {high}")
        return result
    return conv


def size(value: object) -> int:
    """Bytes, as an integer or '500MB' / '2GiB'."""
    raw = str(value).strip().upper().replace(" ", "")
    for unit, factor in sorted(_SIZE_UNITS.items(), key=lambda kv: -len(kv[0])):
        if raw.endswith(unit) and raw[: -len(unit)].replace(".", "", 1).isdigit():
            return int(float(raw[: -len(unit)]) * factor)
    return integer(1, 2**50)(value)


def boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "yes", "on", "1"):
        return True
    if str(value).lower() in ("false", "no", "off", "0"):
        return False
    raise ValueError("must be true or false")


def reason(value: object) -> Reason:
    try:
        return Reason(str(value))
    except ValueError:
        raise ValueError(f"must be one of {', '.join(r.value for r in Reason)}") from None


# -- sections --------------------------------------------------------------------------------
def _mqtt(doc: _Doc, value: object) -> MqttSettings:
    path: Path_ = ("mqtt",)
    m = _mapping(doc, value or {}, path, {"host", "port", "username", "password", "tls",
                                          "keepalive", "client_id", "window", "batch_events",
                                          "backoff_min_s", "backoff_max_s", "wait_for_hub"})
    tls = None
    if m.get("tls") not in (None, False):
        t = _mapping(doc, {} if m["tls"] is True else m["tls"], (*path, "tls"),
                     {"ca_certs", "certfile", "keyfile", "insecure"})
        p = (*path, "tls")
        tls = TlsSettings(_get(doc, t, p, "ca_certs", text), _get(doc, t, p, "certfile", text),
                          _get(doc, t, p, "keyfile", text),
                          _get(doc, t, p, "insecure", boolean, False))
    return MqttSettings(
        host=_get(doc, m, path, "host", text, "127.0.0.1"),
        port=_get(doc, m, path, "port", integer(1, 65535), 8883 if tls else 1883),
        username=_get(doc, m, path, "username", text),
        password=_get(doc, m, path, "password", text),
        tls=tls,
        keepalive=_get(doc, m, path, "keepalive", integer(1, 3600), 30),
        client_id=_get(doc, m, path, "client_id", ident),
        window=_get(doc, m, path, "window", integer(1, 1000), 16),
        batch_events=_get(doc, m, path, "batch_events", integer(1, 5000), 500),
        backoff_min_s=_get(doc, m, path, "backoff_min_s", number(0.01, 60), 0.5),
        backoff_max_s=_get(doc, m, path, "backoff_max_s", number(0.1, 3600), 30.0),
        wait_for_hub=_get(doc, m, path, "wait_for_hub", boolean, True),
    )


def _outbox(doc: _Doc, value: object, config_dir: Path) -> OutboxSettings:
    path: Path_ = ("outbox",)
    m = _mapping(doc, value or {}, path, {"path", "max_events", "max_bytes", "synchronous"})
    where = Path(_get(doc, m, path, "path", text, "edge-outbox.sqlite"))
    sync = _get(doc, m, path, "synchronous", text, "full").upper()
    if sync not in ("FULL", "NORMAL", "EXTRA"):
        raise doc.fail((*path, "synchronous"), "must be full, normal or extra")
    return OutboxSettings(
        path=str(where if where.is_absolute() else config_dir / where),
        max_events=_get(doc, m, path, "max_events", integer(1, 10**9), 2_000_000),
        max_bytes=_get(doc, m, path, "max_bytes", size, 2 * 1024**3),
        synchronous=sync,
    )


def _scanner(doc: _Doc, value: object, path: Path_) -> ScannerSettings:
    m = _mapping(doc, value, path, {"id", "port", "baudrate", "location", "read_point",
                                    "from_location", "unit_reason", "item_reason"})
    return ScannerSettings(
        id=_get(doc, m, path, "id", ident, required=True),
        port=_get(doc, m, path, "port", text, required=True),
        location=_get(doc, m, path, "location", text, required=True),
        baudrate=_get(doc, m, path, "baudrate", integer(50, 4_000_000), 9600),
        read_point=_get(doc, m, path, "read_point", text),
        from_location=_get(doc, m, path, "from_location", text),
        unit_reason=_get(doc, m, path, "unit_reason", reason, Reason.RECEIVE),
        item_reason=_get(doc, m, path, "item_reason", reason, Reason.RECEIVE),
    )


def _region(doc: _Doc, value: object, path: Path_) -> Region:
    m = _mapping(doc, value, path, {"location", "box"})
    location = _get(doc, m, path, "location", text, required=True)
    box = m.get("box")
    if not isinstance(box, list) or len(box) != 4:
        raise doc.fail((*path, "box"), "must be [x0, y0, x1, y1] as fractions of the image")
    try:
        x0, y0, x1, y1 = (number(0.0, 1.0)(v) for v in box)
    except ValueError as exc:
        raise doc.fail((*path, "box"), str(exc)) from None
    if not (x0 < x1 and y0 < y1):
        raise doc.fail((*path, "box"), "needs x0 < x1 and y0 < y1")
    return Region(location, x0, y0, x1, y1)


def _camera(doc: _Doc, value: object, path: Path_, config_dir: Path) -> CameraSettings:
    m = _mapping(doc, value, path, {"id", "source", "regions", "rate_hz", "stable_frames",
                                    "reason", "formats", "read_point", "loop"})
    source: str | int = _get(doc, m, path, "source", text, required=True)
    if str(source).isdigit():
        source = int(source)
    elif "://" not in str(source) and not Path(str(source)).is_absolute():
        source = str(config_dir / str(source))
    regions = m.get("regions")
    if not isinstance(regions, list) or not regions:
        raise doc.fail((*path, "regions"), "must be a non-empty list of {location, box}")
    formats = m.get("formats", ["Code128", "DataMatrix", "QRCode"])
    if not isinstance(formats, list) or not all(
            f in ("Code128", "DataMatrix", "QRCode") for f in formats):
        raise doc.fail((*path, "formats"), "must be a list of Code128, DataMatrix, QRCode")
    return CameraSettings(
        id=_get(doc, m, path, "id", ident, required=True),
        source=source,
        regions=tuple(_region(doc, r, (*path, "regions", i)) for i, r in enumerate(regions)),
        rate_hz=_get(doc, m, path, "rate_hz", number(0.1, 120), 5.0),
        stable_frames=_get(doc, m, path, "stable_frames", integer(1, 100), 3),
        reason=_get(doc, m, path, "reason", reason, Reason.PUTAWAY),
        formats=tuple(formats),
        read_point=_get(doc, m, path, "read_point", text),
        loop=_get(doc, m, path, "loop", boolean, False),
    )


def _listed(doc: _Doc, value: object, key: str) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise doc.fail((key,), "must be a list")
    return value


def _rfid(doc: _Doc, value: object) -> object | None:
    if value is None:
        return None
    parse: Callable[[object, str], object] | None = None
    for module in ("edge.rfid", "edge.rfid.config"):
        try:
            parse = importlib.import_module(module).parse_rfid_config
            break
        except (ImportError, AttributeError):
            continue
    if parse is None:
        raise doc.fail(("rfid",), "this gateway build has no RFID support")
    try:
        return parse(value, "rfid")
    except ConfigError:
        raise
    except ValueError as exc:
        key = getattr(exc, "key", None)
        if not isinstance(key, str):
            raise ConfigError(str(exc)) from None
        # edge.rfid names the key ("rfid.readers[0].port"); add the line it is on.
        reason = str(exc).removeprefix(f"{key}: ")
        raise ConfigError(f"{doc.where(_path_of(key))}: {reason}") from None


def _path_of(dotted: str) -> Path_:
    """'rfid.readers[0].port' -> ('rfid', 'readers', 0, 'port')."""
    path: list[str | int] = []
    for part in dotted.replace("[", ".[").split("."):
        if part.startswith("[") and part.endswith("]") and part[1:-1].isdigit():
            path.append(int(part[1:-1]))
        elif part:
            path.append(part)
    return tuple(path)


def build(doc: _Doc, config_dir: Path) -> GatewaySettings:
    top = _mapping(doc, doc.data, (), TOP_KEYS)
    scanners = [_scanner(doc, s, ("scanners", i))
                for i, s in enumerate(_listed(doc, top.get("scanners"), "scanners"))]
    cameras = [_camera(doc, c, ("cameras", i), config_dir)
               for i, c in enumerate(_listed(doc, top.get("cameras"), "cameras"))]
    ids = [s.id for s in scanners] + [c.id for c in cameras]
    for i, dev in enumerate(ids):
        if dev in ids[:i]:
            raise ConfigError(f"device id {dev!r} is used twice (scanners/cameras)")
    return GatewaySettings(
        warehouse=_get(doc, top, (), "warehouse", ident, required=True),
        gateway_id=_get(doc, top, (), "gateway_id", ident, required=True),
        mqtt=_mqtt(doc, top.get("mqtt")),
        outbox=_outbox(doc, top.get("outbox"), config_dir),
        heartbeat_s=_get(doc, top, (), "heartbeat_s", number(0.1, 3600), 30.0),
        rfid=_rfid(doc, top.get("rfid")),
        scanners=tuple(scanners),
        cameras=tuple(cameras),
    )


def load_config_text(text_: str, env: Mapping[str, str] | None = None, *,
                     name: str = "config", config_dir: Path | None = None) -> GatewaySettings:
    doc = parse_yaml(text_, name)
    apply_env(doc, env or {})
    return build(doc, config_dir or Path.cwd())


def load_config(path: str | Path, env: Mapping[str, str] | None = None) -> GatewaySettings:
    file = Path(path)
    try:
        content = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config {file}: {exc}") from None
    return load_config_text(content, env, name=str(file), config_dir=file.resolve().parent)
