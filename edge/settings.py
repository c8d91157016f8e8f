"""The gateway's settings as frozen dataclasses (built by edge.config from YAML + EDGE_* env)."""

from __future__ import annotations

from dataclasses import dataclass, field

from protocol import Reason


@dataclass(frozen=True, slots=True)
class TlsSettings:
    ca_certs: str | None = None
    certfile: str | None = None
    keyfile: str | None = None
    insecure: bool = False


@dataclass(frozen=True, slots=True)
class MqttSettings:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: TlsSettings | None = None
    keepalive: int = 30
    client_id: str | None = None
    window: int = 16  # messages published and not yet acknowledged
    batch_events: int = 500  # events per message at most
    backoff_min_s: float = 0.5
    backoff_max_s: float = 30.0
    connect_timeout_s: float = 10.0
    # Publish moves only while a hub has announced its subscription (edge/hub_gate.py). The
    # gateway's config turns this on unless told otherwise (edge/config.py); a bare publisher
    # (benchmarks, tests with a plain subscriber) is not gated.
    wait_for_hub: bool = False


@dataclass(frozen=True, slots=True)
class OutboxSettings:
    path: str = "edge-outbox.sqlite"
    max_events: int = 2_000_000
    max_bytes: int = 2 * 1024**3
    synchronous: str = "FULL"


@dataclass(frozen=True, slots=True)
class ScannerSettings:
    """A fixed scanner at a station: what its scans mean in the warehouse."""

    id: str
    port: str
    location: str
    baudrate: int = 9600
    read_point: str | None = None
    from_location: str | None = None
    unit_reason: Reason = Reason.RECEIVE
    item_reason: Reason = Reason.RECEIVE
    backoff_min_s: float = 0.2
    backoff_max_s: float = 10.0


@dataclass(frozen=True, slots=True)
class Region:
    """A rectangle of the image (fractions of width/height) that shows one location."""

    location: str
    x0: float
    y0: float
    x1: float
    y1: float

    def contains(self, x: float, y: float) -> bool:
        return self.x0 <= x < self.x1 and self.y0 <= y < self.y1


@dataclass(frozen=True, slots=True)
class CameraSettings:
    id: str
    source: str | int  # a device index, a video file path or URL
    regions: tuple[Region, ...]
    rate_hz: float = 5.0
    stable_frames: int = 3
    reason: Reason = Reason.PUTAWAY
    formats: tuple[str, ...] = ("Code128", "DataMatrix", "QRCode")
    read_point: str | None = None
    loop: bool = False  # replay a video file forever (demo)


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    warehouse: str
    gateway_id: str
    mqtt: MqttSettings
    outbox: OutboxSettings
    heartbeat_s: float = 30.0
    rfid: object | None = None  # whatever edge.rfid.parse_rfid_config returns
    scanners: tuple[ScannerSettings, ...] = ()
    cameras: tuple[CameraSettings, ...] = ()

    def summary(self) -> dict[str, object]:
        """What the gateway will do, secrets left out (for check-config and the status topic)."""
        return {
            "warehouse": self.warehouse,
            "gateway_id": self.gateway_id,
            "mqtt": {"host": self.mqtt.host, "port": self.mqtt.port,
                     "tls": self.mqtt.tls is not None, "username": self.mqtt.username,
                     "wait_for_hub": self.mqtt.wait_for_hub},
            "outbox": {"path": self.outbox.path, "max_events": self.outbox.max_events,
                       "max_bytes": self.outbox.max_bytes},
            "heartbeat_s": self.heartbeat_s,
            "rfid": self.rfid is not None,
            "scanners": [s.id for s in self.scanners],
            "cameras": [c.id for c in self.cameras],
        }
