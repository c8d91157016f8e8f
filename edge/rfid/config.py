"""The `rfid:` section of the gateway YAML: readers, antenna roles, portals, zones, tuning.

Rule kept here: a section that parses is consistent (every antenna names a known portal side
or zone, ids unique); anything else is RfidConfigError naming the key, e.g. rfid.readers[0].port.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Literal

from epcpy import ConvertException
from epcpy.epc_schemes.sgln import SGLN

from edge.portal.config import (
    PortalAntenna,
    PortalConfig,
    PortalParams,
    PortalsConfig,
    ZoneAntenna,
    ZoneConfig,
    ZoneParams,
    ZonesConfig,
)


class RfidConfigError(ValueError):
    """A bad `rfid:` section; `key` is the dotted path of the offending key."""

    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        super().__init__(f"{key}: {reason}")


@dataclass(frozen=True, slots=True)
class AntennaRf:
    """How one antenna inventories. Defaults suit a dock door (docs/rfid.md): full power,
    Gen2 session 1 (a tag answers again within seconds, so both sides of the door hear it on
    its way through), a pallet-load of tags, about two seconds in the field."""

    antenna: int
    tx_power_dbm: float | None = None  # None: the reader's highest power (LLRP §16.2.6.8)
    session: int = 1  # LLRP 1.0.1 §16.3.1.2.1.3 C1G2SingulationControl
    tag_population: int = 32
    tag_transit_time_ms: int = 2000


# key -> (lowest, highest, whole number?) of the RF settings a reader or antenna may set
RF_KEYS: dict[str, tuple[float, float, bool]] = {
    "tx_power_dbm": (0.0, 36.0, False),  # 36 dBm = 4 W EIRP, above any regulatory limit
    "session": (0, 3, True),
    "tag_population": (1, 65535, True),
    "tag_transit_time_ms": (0, 600_000, True),
}


@dataclass(frozen=True, slots=True)
class ReaderConfig:
    """One LLRP reader: where it listens, which antenna ports it uses and how they read."""

    reader_id: str
    host: str
    port: int = 5084
    antennas: tuple[int, ...] = (1,)
    reconnect_min_s: float = 0.5
    reconnect_max_s: float = 30.0
    rf: tuple[AntennaRf, ...] = ()  # per antenna; an antenna not listed reads with defaults
    mode_identifier: int | None = None  # an entry of the reader's UHFC1G2RFModeTable

    def rf_for(self, antenna: int) -> AntennaRf:
        return next((a for a in self.rf if a.antenna == antenna), AntennaRf(antenna))


@dataclass(frozen=True, slots=True)
class ReadChecks:
    """What the gateway does with reads that are not a unit at a mapped antenna."""

    # a door's or zone's location tag (SGLN pure identity URI) -> the portal or zone id
    location_tags: tuple[tuple[str, str], ...] = ()
    unknown_epcs: Literal["ignore", "track"] = "ignore"  # track: move it by its raw EPC
    # an antenna is reported silent when the other antennas of its door or zone heard this
    # many different tags since it last heard anything (a cut cable, a dead antenna)
    silent_antenna_tags: int = 20


@dataclass(frozen=True, slots=True)
class RfidConfig:
    readers: tuple[ReaderConfig, ...]
    portals: PortalsConfig
    zones: ZonesConfig
    checks: ReadChecks = ReadChecks()


def _mapping(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RfidConfigError(where, f"expected a mapping, got {type(value).__name__}")
    return value


def _list(section: dict[str, Any], key: str, where: str) -> list[Any]:
    value = section.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise RfidConfigError(f"{where}.{key}", "expected a list")
    return value


def _text(item: dict[str, Any], key: str, where: str, *, optional: bool = False) -> str | None:
    value = item.get(key)
    if value is None:
        if optional:
            return None
        raise RfidConfigError(f"{where}.{key}", "is required")
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise RfidConfigError(f"{where}.{key}", f"expected a non-empty name, got {value!r}")
    return str(value).strip()


def _number(item: dict[str, Any], key: str, where: str, default: float, low: float) -> float:
    value = item.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
        raise RfidConfigError(f"{where}.{key}", f"expected a number >= {low}, got {value!r}")
    return float(value)


def _no_extra(item: dict[str, Any], allowed: set[str], where: str) -> None:
    for key in item:
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            raise RfidConfigError(f"{where}.{key}", f"unknown key (known: {known})")


def _params(raw: object, cls: type, where: str) -> Any:
    """Tuning knobs by field name; times given in seconds as `<name minus _us>_s`."""
    if raw is None:
        return cls()
    item = _mapping(raw, where)
    known = {f.name: f for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in item.items():
        name = f"{key[:-2]}_us" if key.endswith("_s") and f"{key[:-2]}_us" in known else key
        if name not in known:
            names = sorted(n[:-3] + "_s" if n.endswith("_us") else n for n in known)
            listed = ", ".join(names)
            raise RfidConfigError(f"{where}.{key}", f"unknown parameter (known: {listed})")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RfidConfigError(f"{where}.{key}", f"expected a number, got {value!r}")
        default = getattr(cls(), name)
        if name.endswith("_us"):
            values[name] = round(value * 1_000_000)
        elif isinstance(default, int):
            values[name] = int(value)
        else:
            values[name] = float(value)
    return cls(**values)


def _portals(section: dict[str, Any], where: str) -> list[PortalConfig]:
    out = []
    for i, raw in enumerate(_list(section, "portals", where)):
        at = f"{where}.portals[{i}]"
        item = _mapping(raw, at)
        _no_extra(item, {"id", "door", "inside", "outside", "params", "location_tag"}, at)
        if item.get("inside") is None and item.get("outside") is None:
            raise RfidConfigError(f"{at}.inside", "inside and outside cannot both be empty")
        out.append(PortalConfig(
            portal_id=_text(item, "id", at) or "",
            door=_text(item, "door", at) or "",
            inside=_text(item, "inside", at, optional=True),
            outside=_text(item, "outside", at, optional=True),
            params=_params(item.get("params"), PortalParams, f"{at}.params"),
        ))
    return out


def _zones(section: dict[str, Any], where: str) -> list[ZoneConfig]:
    out = []
    for i, raw in enumerate(_list(section, "zones", where)):
        at = f"{where}.zones[{i}]"
        item = _mapping(raw, at)
        _no_extra(item, {"id", "location", "location_tag"}, at)
        out.append(ZoneConfig(_text(item, "id", at) or "", _text(item, "location", at) or ""))
    return out


def _reader(raw: object, at: str, portals: set[str], zones: set[str]) -> tuple[
    ReaderConfig, list[PortalAntenna], list[ZoneAntenna]
]:
    item = _mapping(raw, at)
    _no_extra(item, {"id", "host", "port", "antennas", "reconnect_min_s", "reconnect_max_s",
                     "mode_identifier", *RF_KEYS}, at)
    reader_id = _text(item, "id", at) or ""
    base = _rf(item, at, AntennaRf(0))
    rf: list[AntennaRf] = []
    port = item.get("port", 5084)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise RfidConfigError(f"{at}.port", f"expected a TCP port 1..65535, got {port!r}")
    portal_ants: list[PortalAntenna] = []
    zone_ants: list[ZoneAntenna] = []
    ids: list[int] = []
    for j, raw_ant in enumerate(_list(item, "antennas", at)):
        where = f"{at}.antennas[{j}]"
        ant = _mapping(raw_ant, where)
        _no_extra(ant, {"antenna", "portal", "side", "zone", *RF_KEYS}, where)
        number = ant.get("antenna")
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 65535:
            raise RfidConfigError(f"{where}.antenna", f"expected an antenna port, got {number!r}")
        if number in ids:
            raise RfidConfigError(f"{where}.antenna", f"antenna {number} is mapped twice")
        ids.append(number)
        rf.append(replace(_rf(ant, where, base), antenna=number))
        if ("portal" in ant) == ("zone" in ant):
            raise RfidConfigError(where, "give either portal + side or zone")
        if "zone" in ant:
            zone = _text(ant, "zone", where) or ""
            if zone not in zones:
                raise RfidConfigError(f"{where}.zone", f"unknown zone {zone!r}")
            zone_ants.append(ZoneAntenna(reader_id, number, zone))
            continue
        portal = _text(ant, "portal", where) or ""
        if portal not in portals:
            raise RfidConfigError(f"{where}.portal", f"unknown portal {portal!r}")
        side = ant.get("side")
        if side not in ("inner", "outer"):
            raise RfidConfigError(f"{where}.side", f"expected inner or outer, got {side!r}")
        portal_ants.append(PortalAntenna(reader_id, number, portal, side))
    if not ids:
        raise RfidConfigError(f"{at}.antennas", "a reader needs at least one antenna")
    low = _number(item, "reconnect_min_s", at, 0.5, 0.01)
    reader = ReaderConfig(
        reader_id=reader_id,
        host=_text(item, "host", at) or "",
        port=port,
        antennas=tuple(ids),
        reconnect_min_s=low,
        reconnect_max_s=_number(item, "reconnect_max_s", at, 30.0, low),
        rf=tuple(rf),
        mode_identifier=_mode(item, at),
    )
    return reader, portal_ants, zone_ants


def _rf(item: dict[str, Any], where: str, base: AntennaRf) -> AntennaRf:
    """RF settings given on a reader (for all its antennas) or on one antenna (its own)."""
    values: dict[str, Any] = {}
    for key, (low, high, whole) in RF_KEYS.items():
        if key not in item:
            continue
        value = item[key]
        if value is None and key == "tx_power_dbm":
            values[key] = None  # explicitly the reader's highest power
            continue
        kind = "whole number" if whole else "number"
        if (isinstance(value, bool) or not isinstance(value, int | float)
                or (whole and not float(value).is_integer()) or not low <= value <= high):
            raise RfidConfigError(f"{where}.{key}",
                                  f"expected a {kind} from {low:g} to {high:g}, got {value!r}")
        values[key] = int(value) if whole else float(value)
    return replace(base, **values)


def _mode(item: dict[str, Any], where: str) -> int | None:
    value = item.get("mode_identifier")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**32:
        raise RfidConfigError(f"{where}.mode_identifier", "expected the ModeIdentifier of an "
                              f"entry of the reader's RF mode table, got {value!r}")
    return value


def _location_tag(item: dict[str, Any], where: str) -> str | None:
    """A location tag as its SGLN pure identity URI (EPC TDS §6.3.3), e.g.
    urn:epc:id:sgln:0614141.12345.5678 — what `decode-epc` prints as `uri` for the tag."""
    value = item.get("location_tag")
    if value is None:
        return None
    try:
        return str(SGLN(str(value).strip()).epc_uri)
    except (ConvertException, ValueError, TypeError) as exc:
        raise RfidConfigError(f"{where}.location_tag", "expected an SGLN URI such as "
                              f"urn:epc:id:sgln:0614141.12345.5678, got {value!r}") from exc


def _checks(section: dict[str, Any], where: str) -> ReadChecks:
    tags: list[tuple[str, str]] = []
    for kind in ("portals", "zones"):
        for i, raw in enumerate(_list(section, kind, where)):
            at = f"{where}.{kind}[{i}]"
            uri = _location_tag(_mapping(raw, at), at)
            if uri is None:
                continue
            if uri in (u for u, _ in tags):
                raise RfidConfigError(f"{at}.location_tag", f"{uri} names another door already")
            tags.append((uri, str(raw["id"]).strip()))
    policy = section.get("unknown_epcs", "ignore")
    if policy not in ("ignore", "track"):
        raise RfidConfigError(f"{where}.unknown_epcs", f"expected ignore or track, got {policy!r}")
    silent = section.get("silent_antenna_tags", 20)
    if isinstance(silent, bool) or not isinstance(silent, int) or silent < 1:
        raise RfidConfigError(f"{where}.silent_antenna_tags",
                              f"expected a whole number >= 1, got {silent!r}")
    return ReadChecks(tuple(tags), policy, silent)


def _unique(ids: list[str], where: str) -> None:
    for i, name in enumerate(ids):
        if name in ids[:i]:
            raise RfidConfigError(f"{where}[{i}].id", f"id {name!r} is used twice")


def parse_rfid_config(mapping: object, where: str = "rfid") -> RfidConfig:
    """Validate the parsed `rfid:` mapping of the gateway YAML (`where` prefixes error keys)."""
    section = _mapping(mapping, where)
    _no_extra(section, {"readers", "portals", "zones", "zone_params", "unknown_epcs",
                        "silent_antenna_tags"}, where)
    portals = _portals(section, where)
    _unique([p.portal_id for p in portals], f"{where}.portals")
    zones = _zones(section, where)
    _unique([z.zone_id for z in zones], f"{where}.zones")
    readers, portal_ants, zone_ants = [], [], []
    for i, raw in enumerate(_list(section, "readers", where)):
        reader, p_ants, z_ants = _reader(
            raw, f"{where}.readers[{i}]", {p.portal_id for p in portals},
            {z.zone_id for z in zones},
        )
        readers.append(reader)
        portal_ants += p_ants
        zone_ants += z_ants
    _unique([r.reader_id for r in readers], f"{where}.readers")
    if not readers:
        raise RfidConfigError(f"{where}.readers", "at least one reader is required")
    zone_params = _params(section.get("zone_params"), ZoneParams, f"{where}.zone_params")
    return RfidConfig(
        readers=tuple(readers),
        portals=PortalsConfig(tuple(portals), tuple(portal_ants)),
        zones=ZonesConfig(tuple(zones), tuple(zone_ants), zone_params),
        checks=_checks(section, where),
    )
