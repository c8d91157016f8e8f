"""A synthetic warehouse floor plan and its pallets, for demos, tests and the map benchmark.

Rule kept here: the same arguments always give the same site (a seeded generator, no clock):
ages are seconds before a `now` the caller chooses when it turns units into moves.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from cloud_hub.catalog.model import Location
from protocol.events import ItemLine, Source, StockMoved, UnitRef
from protocol.labels import with_check_digit

BIN_W, BIN_D = 1.2, 1.0  # metres: one pallet position seen from above
AISLE = 3.0
PAIR_W = 2 * BIN_W + AISLE  # two racks back to back and the aisle beside them
ZONE_MARGIN = 3.0
DOOR_W, STAGE_D = 4.0, 6.0


@dataclass(frozen=True, slots=True)
class SiteUnit:
    """A pallet: where it stands, what it holds, and how long ago it got there."""

    sscc: str
    location: str
    sku: str
    lot: str
    quantity: int
    status: str
    age_s: float


@dataclass(frozen=True, slots=True)
class Site:
    warehouse: str
    locations: tuple[Location, ...]
    units: tuple[SiteUnit, ...]
    gateways: tuple[str, ...]

    def codes(self, kind: str) -> list[str]:
        return [loc.code for loc in self.locations if loc.kind == kind]


def _zone(code: str, wh: str, x: float, y: float, w: float, d: float,
          zone_type: str | None) -> Location:
    attrs: dict[str, object] = {"zone_type": zone_type} if zone_type else {}
    return Location(code=code, warehouse=wh, kind="zone", name=f"Zone {code}", x=x, y=y,
                    width=w, depth=d, attributes=attrs)


def _racks(wh: str, prefix: str, zone_code: str, zx: float, zy: float, first: int,
           count: int, bins_per_rack: int, remaining: int) -> tuple[list[Location], int]:
    out: list[Location] = []
    for r in range(count):
        rack_no = first + r
        pair, side = divmod(r, 2)
        rx = round(zx + ZONE_MARGIN + pair * PAIR_W + side * BIN_W, 3)
        ry = round(zy + ZONE_MARGIN, 3)
        n = min(bins_per_rack, remaining)
        if n <= 0:
            break
        rack = f"{prefix}{zone_code}{rack_no:02d}"
        out.append(Location(code=rack, warehouse=wh, kind="rack", parent=f"{prefix}{zone_code}",
                            name=f"Rack {zone_code}{rack_no:02d}", x=rx, y=ry, width=BIN_W,
                            depth=n * BIN_D))
        out.extend(Location(code=f"{rack}-{b + 1:03d}", warehouse=wh, kind="bin", parent=rack,
                            x=rx, y=round(ry + b * BIN_D, 3), width=BIN_W, depth=BIN_D, capacity=1)
                   for b in range(n))
        remaining -= n
    return out, remaining


def _floor(wh: str, prefix: str, n_bins: int, bins_per_rack: int,
           racks_per_zone: int) -> tuple[list[Location], float, float]:
    n_racks = max(1, math.ceil(n_bins / bins_per_rack))
    n_zones = math.ceil(n_racks / racks_per_zone)
    racks_in_zone = min(racks_per_zone, n_racks)
    zone_w = math.ceil(racks_in_zone / 2) * PAIR_W + 2 * ZONE_MARGIN - AISLE
    zone_d = bins_per_rack * BIN_D + 2 * ZONE_MARGIN
    # a floor about 1.6 times as wide as it is deep, like a screen
    cols = max(1, min(n_zones, math.ceil(math.sqrt(n_zones * zone_d / zone_w * 1.6))))
    locs: list[Location] = []
    remaining = n_bins
    types = {0: "cold", 1: "high_value"} if n_zones > 2 else {}
    for z in range(n_zones):
        row, col = divmod(z, cols)
        zx, zy = col * (zone_w + 4.0), row * (zone_d + 4.0)
        code = chr(ord("A") + z) if z < 26 else f"Z{z:02d}"
        locs.append(_zone(f"{prefix}{code}", wh, zx, zy, zone_w, zone_d, types.get(z)))
        racks, remaining = _racks(wh, prefix, code, zx, zy, 1, racks_per_zone, bins_per_rack,
                                  remaining)
        locs.extend(racks)
    width = min(n_zones, cols) * (zone_w + 4.0) - 4.0
    height = math.ceil(n_zones / cols) * (zone_d + 4.0)
    return locs, width, height


def _docks(wh: str, prefix: str, top: float, width: float,
           doors: int) -> tuple[list[Location], list[str]]:
    dock = f"{prefix}DOCK"
    locs = [Location(code=dock, warehouse=wh, kind="area", name="Dock", x=0.0, y=top,
                     width=width, depth=STAGE_D + 4.0)]
    gateways: list[str] = []
    step = width / doors
    for i in range(doors):
        gw = f"gw-dock-{i + 1}"
        gateways.append(gw)
        x = round(i * step + (step - DOOR_W * 2) / 2, 3)
        door = f"{prefix}DD{i + 1:02d}"
        locs += [
            Location(code=f"{prefix}STG{i + 1:02d}", warehouse=wh, kind="staging", parent=dock,
                     name=f"Staging {i + 1}", x=x, y=top + 1.0, width=DOOR_W * 2,
                     depth=STAGE_D),
            Location(code=door, warehouse=wh, kind="dock_door", parent=dock,
                     name=f"Dock door {i + 1}", x=x + DOOR_W / 2, y=top + STAGE_D + 2.0,
                     width=DOOR_W, depth=1.5, attributes={"gateway": gw}),
            Location(code=f"{prefix}PT{i + 1:02d}", warehouse=wh, kind="portal", parent=door,
                     name=f"Portal {i + 1}", x=x + DOOR_W / 2, y=top + STAGE_D + 1.2,
                     width=DOOR_W, depth=0.6, attributes={"gateway": gw}),
        ]
    return locs, gateways


def _units(wh: str, rng: random.Random, bins: list[str], stages: list[str],
           n_units: int) -> list[SiteUnit]:
    places = rng.sample(bins, min(n_units, len(bins)))
    while len(places) < n_units:
        places.append(rng.choice(stages or bins))
    units = []
    for i, loc in enumerate(places):
        roll = rng.random()
        status = "damaged" if roll < 0.01 else "quarantine" if roll < 0.04 else "available"
        age = rng.choice((rng.uniform(0, 3600), rng.uniform(0, 86400),
                          rng.uniform(0, 7 * 86400), rng.uniform(0, 60 * 86400)))
        units.append(SiteUnit(sscc=with_check_digit(f"0123456{i:010d}"), location=loc,
                              sku=f"SKU-{rng.randrange(1, 400):04d}",
                              lot=f"L{rng.randrange(1, 60):03d}",
                              quantity=rng.randrange(1, 120), status=status, age_s=age))
    return units


def generate_site(warehouse: str, n_bins: int = 200, n_units: int = 50, *, prefix: str = "",
                  doors: int | None = None, bins_per_rack: int = 40, racks_per_zone: int = 40,
                  seed: int = 7) -> Site:
    """Zones of back-to-back racks, a dock with doors and portals watched by gateways, and
    `n_units` pallets spread over the bins (then the staging lanes)."""
    if n_bins < 1 or n_units < 0:
        raise ValueError("a site needs at least one bin and a non-negative number of pallets")
    rng = random.Random(seed)
    bins_per_rack = max(1, min(bins_per_rack, n_bins))
    floor, width, height = _floor(warehouse, prefix, n_bins, bins_per_rack, racks_per_zone)
    n_doors = doors or max(2, min(12, round(width / 20)))
    dock, gateways = _docks(warehouse, prefix, height, max(width, n_doors * 10.0), n_doors)
    locations = floor + dock
    bins = [loc.code for loc in floor if loc.kind == "bin"]
    stages = [loc.code for loc in dock if loc.kind == "staging"]
    return Site(warehouse, tuple(locations), tuple(_units(warehouse, rng, bins, stages, n_units)),
                tuple(gateways))


def arrival_moves(site: Site, now: datetime, device_id: str = "site-seed") -> list[StockMoved]:
    """Each pallet's receipt into its place, dated `age_s` before `now`, with fresh event ids
    drawn from the site's own generator (so the same site gives the same ids)."""
    rng = random.Random(f"{site.warehouse}:{len(site.units)}")
    return [StockMoved(
        event_id=uuid.UUID(int=rng.getrandbits(128), version=4),
        occurred_at=now - timedelta(seconds=u.age_s), warehouse=site.warehouse,
        source=Source(kind="pda", device_id=device_id), unit=UnitRef(sscc=u.sscc),
        contents=(ItemLine(sku=u.sku, lot=u.lot, quantity=Decimal(u.quantity),
                           status=u.status),),
        to_location=u.location, reason="receive") for u in site.units]
