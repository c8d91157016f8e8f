"""Camera scenes from YAML: every bad value is a SceneError naming its path (cartons[1].y)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import yaml

from firmware_bridge.camera.scene import (
    Carton,
    Impairment,
    ImpairmentKind,
    Label,
    LabelSymbology,
    Rect,
    Region,
    Scene,
    SceneError,
)

T = TypeVar("T")
_MISSING = object()


class _Node:
    def __init__(self, raw: object, path: str) -> None:
        if not isinstance(raw, dict):
            raise SceneError(f"{path or 'scene'}: expected a mapping, got {raw!r}")
        self.raw, self.path = raw, path

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, kind: type[T], default: object = _MISSING) -> T:
        value = self.raw.get(key, default)
        if value is _MISSING:
            raise SceneError(f"{self.at(key)}: is required")
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if value is not None and (isinstance(value, bool) != (kind is bool)
                                  or not isinstance(value, kind)):
            raise SceneError(f"{self.at(key)}: expected {kind.__name__}, got {value!r}")
        return value  # type: ignore[return-value]

    def ints(self, key: str, count: int, default: object = _MISSING) -> tuple[int, ...]:
        value = self.raw.get(key, default)
        if value is _MISSING:
            raise SceneError(f"{self.at(key)}: is required")
        if (not isinstance(value, list) or len(value) != count
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
            raise SceneError(f"{self.at(key)}: expected a list of {count} integers")
        return tuple(value)

    def pair(self, key: str, default: object = _MISSING) -> tuple[int, int]:
        first, second = self.ints(key, 2, default)
        return first, second

    def items(self, key: str, make: Callable[[_Node], T]) -> tuple[T, ...]:
        value = self.raw.get(key, [])
        if not isinstance(value, list):
            raise SceneError(f"{self.at(key)}: expected a list")
        return tuple(make(_Node(v, f"{self.at(key)}[{i}]")) for i, v in enumerate(value))

    def choice(self, key: str, enum: type[T], default: object = _MISSING) -> T:
        value = self.get(key, str, default)
        try:
            return enum(value)  # type: ignore[call-arg]
        except ValueError:
            names = ", ".join(e.value for e in enum)  # type: ignore[attr-defined]
            raise SceneError(f"{self.at(key)}: {value!r} is not one of {names}") from None


def _region(n: _Node) -> Region:
    return Region(n.get("name", str), n.get("location", str), Rect(*n.ints("rect", 4)))


def _carton(n: _Node) -> Carton:
    label = _Node(n.raw.get("label"), n.at("label"))
    return Carton(
        n.get("unit_id", str),
        Label(label.get("text", str), label.choice("symbology", LabelSymbology),
              label.get("gs1", bool, True), label.get("scale", int, 0)),
        n.get("enter_frame", int, 0), n.get("y", int), n.get("speed", float),
        n.pair("size", [420, 240]), n.get("start_x", int, None),
    )


def _impairment(n: _Node) -> Impairment:
    return Impairment(n.choice("kind", ImpairmentKind), n.get("first_frame", int),
                      n.get("last_frame", int), n.get("unit_id", str, None))


def load_scene(text: str) -> Scene:
    """Parse a YAML scene (see firmware_bridge/README.md)."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SceneError(f"scene is not YAML: {exc}") from None
    top = _Node(raw, "")
    unknown = set(top.raw) - {"camera_id", "width", "height", "fps", "frames", "seed",
                              "regions", "cartons", "impairments"}
    if unknown:
        raise SceneError(f"unknown key(s): {', '.join(sorted(map(str, unknown)))}")
    return Scene(
        width=top.get("width", int, 960), height=top.get("height", int, 540),
        fps=top.get("fps", float, 15.0), frames=top.get("frames", int),
        regions=top.items("regions", _region), cartons=top.items("cartons", _carton),
        impairments=top.items("impairments", _impairment), seed=top.get("seed", int, 0),
        camera_id=top.get("camera_id", str, "cam-1"),
    )
