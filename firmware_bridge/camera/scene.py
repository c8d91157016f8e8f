"""What a warehouse camera sees, as data: labelled cartons moving past named regions.

Rule kept here: the ground truth is computed from the scene alone (no pixels): a label is
sighted in a frame when it lies wholly inside the frame; it is decodable unless the scene
blurs or occludes it there, or a carton drawn later covers it. Time is frame / fps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class SceneError(ValueError):
    """A scene description that cannot be rendered; says which part is wrong."""


class LabelSymbology(StrEnum):
    QR = "qr"
    DATAMATRIX = "datamatrix"
    GS1_128 = "gs1-128"


class ImpairmentKind(StrEnum):
    BLUR = "blur"  # the whole frame out of focus / shaken
    OCCLUSION = "occlusion"  # a strap, hand or mast across the label


@dataclass(frozen=True, slots=True)
class Rect:
    x: int
    y: int
    w: int
    h: int

    def contains(self, other: Rect) -> bool:
        return (self.x <= other.x and self.y <= other.y and other.x + other.w <= self.x + self.w
                and other.y + other.h <= self.y + self.h)

    def overlaps(self, other: Rect) -> bool:
        return (self.x < other.x + other.w and other.x < self.x + self.w
                and self.y < other.y + other.h and other.y < self.y + self.h)

    def holds_point(self, px: float, py: float) -> bool:
        return self.x <= px < self.x + self.w and self.y <= py < self.y + self.h

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2


@dataclass(frozen=True, slots=True)
class Label:
    """The symbol printed on a carton: its text (GS1 as '(AI)value...'), symbology, scale."""

    text: str
    symbology: LabelSymbology
    gs1: bool = True
    scale: int = 0  # pixels per module; 0 = the symbology's default

    @property
    def module_px(self) -> int:
        return self.scale or (2 if self.symbology is LabelSymbology.GS1_128 else 4)


@dataclass(frozen=True, slots=True)
class Carton:
    """A box or pallet face carrying one label, entering at `enter_frame` and moving
    `speed` pixels per frame along x (negative: right to left)."""

    unit_id: str
    label: Label
    enter_frame: int
    y: int
    speed: float
    size: tuple[int, int] = (420, 240)
    start_x: int | None = None  # default: just outside the edge it enters from

    def __post_init__(self) -> None:
        if min(self.size) <= 0 or self.enter_frame < 0:
            raise SceneError(f"carton {self.unit_id}: size must be positive, enter_frame >= 0")

    def rect(self, frame: int, width: int) -> Rect | None:
        if frame < self.enter_frame:
            return None
        w, h = self.size
        start = self.start_x if self.start_x is not None else (-w if self.speed >= 0 else width)
        return Rect(round(start + self.speed * (frame - self.enter_frame)), self.y, w, h)


@dataclass(frozen=True, slots=True)
class Region:
    """A named part of the view mapped to a warehouse location code (e.g. door → DOCK-01)."""

    name: str
    location: str
    rect: Rect


@dataclass(frozen=True, slots=True)
class Impairment:
    kind: ImpairmentKind
    first_frame: int
    last_frame: int
    unit_id: str | None = None  # occlusion of one carton's label; None: every label

    def __post_init__(self) -> None:
        if not 0 <= self.first_frame <= self.last_frame:
            raise SceneError(f"{self.kind} impairment: need 0 <= first_frame <= last_frame")

    def hits(self, frame: int, unit_id: str) -> bool:
        return (self.first_frame <= frame <= self.last_frame
                and (self.unit_id is None or self.unit_id == unit_id))


@dataclass(frozen=True, slots=True)
class Scene:
    width: int
    height: int
    fps: float
    frames: int
    regions: tuple[Region, ...]
    cartons: tuple[Carton, ...]
    impairments: tuple[Impairment, ...] = ()
    seed: int = 0
    camera_id: str = "cam-1"

    def __post_init__(self) -> None:
        if not (16 <= self.width <= 4096 and 16 <= self.height <= 4096):
            raise SceneError(f"frame size {self.width}x{self.height} is outside 16..4096")
        if not 0 < self.fps <= 240 or not 0 < self.frames <= 100_000:
            raise SceneError("fps must be in (0, 240] and frames in 1..100000")
        units = [c.unit_id for c in self.cartons]
        if len(set(units)) != len(units):
            raise SceneError("carton unit ids must be unique")


@dataclass(frozen=True, slots=True)
class Sighting:
    """Ground truth: this label was wholly in view in this frame, in this region (if any)."""

    frame: int
    t: float  # seconds since the first frame
    unit_id: str
    text: str
    symbology: LabelSymbology
    rect: Rect
    region: str | None
    location: str | None
    decodable: bool
    impairment: str | None = None  # why not decodable: blur / occlusion / hidden


@dataclass(frozen=True, slots=True)
class Visit:
    """A label's stay in one region: first and last frame it was sighted there."""

    unit_id: str
    region: str
    location: str
    first_frame: int
    last_frame: int
    decodable_frames: int = field(default=0)


def label_rect(carton: Rect, size: tuple[int, int]) -> Rect:
    """Labels sit centred on the carton face."""
    w, h = size
    return Rect(carton.x + (carton.w - w) // 2, carton.y + (carton.h - h) // 2, w, h)


def _why_not(scene: Scene, frame: int, index: int, rect: Rect,
             rects: list[Rect | None]) -> str | None:
    unit = scene.cartons[index].unit_id
    for imp in scene.impairments:
        if imp.hits(frame, unit):
            return imp.kind.value
    later = (r for r in rects[index + 1 :] if r is not None)
    return "hidden" if any(r.overlaps(rect) for r in later) else None


def sightings(scene: Scene, label_sizes: Mapping[str, tuple[int, int]]) -> list[Sighting]:
    """Every (frame, label) sighting; `label_sizes` maps unit id → rendered label (w, h)."""
    view = Rect(0, 0, scene.width, scene.height)
    out: list[Sighting] = []
    for frame in range(scene.frames):
        rects = [c.rect(frame, scene.width) for c in scene.cartons]
        for index, carton in enumerate(scene.cartons):
            box = rects[index]
            if box is None:
                continue
            rect = label_rect(box, label_sizes[carton.unit_id])
            if not view.contains(rect):
                continue
            region = next((r for r in scene.regions if r.rect.holds_point(*rect.centre)), None)
            why = _why_not(scene, frame, index, rect, rects)
            out.append(Sighting(frame, frame / scene.fps, carton.unit_id, carton.label.text,
                                carton.label.symbology, rect,
                                region.name if region else None,
                                region.location if region else None, why is None, why))
    return out


def visits(seen: Iterable[Sighting]) -> list[Visit]:
    """Fold sightings into per-region stays, in order of first sighting."""
    stays: dict[tuple[str, str], Visit] = {}
    for s in seen:
        if s.region is None or s.location is None:
            continue
        key = (s.unit_id, s.region)
        old = stays.get(key)
        first = old.first_frame if old else s.frame
        count = (old.decodable_frames if old else 0) + (1 if s.decodable else 0)
        stays[key] = Visit(s.unit_id, s.region, s.location, first, s.frame, count)
    return sorted(stays.values(), key=lambda v: (v.first_frame, v.unit_id))
