"""Typed, path-aware access to a parsed YAML mapping: every error names the key that is wrong."""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")
_MISSING: Any = object()


class ScenarioError(ValueError):
    """A scenario file that cannot be used; `path` is the dotted key, e.g. events[3].portal."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)


class Fields:
    """One mapping of the scenario with its path; unknown keys are reported by `done()`."""

    def __init__(self, raw: Any, path: str) -> None:
        if not isinstance(raw, dict):
            raise ScenarioError(path, f"expected a mapping, got {type(raw).__name__}")
        self.raw = raw
        self.path = path
        self._used: set[str] = set()

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, kind: type[T] | tuple[type, ...], default: Any = _MISSING) -> Any:
        self._used.add(key)
        if key not in self.raw or (self.raw[key] is None and default is not _MISSING):
            if default is _MISSING:
                raise ScenarioError(self.at(key), "is required")
            return default
        value = self.raw[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
            names = "/".join(k.__name__ for k in kinds)
            raise ScenarioError(self.at(key), f"expected {names}, got {value!r}")
        return value

    def text(self, key: str, default: Any = _MISSING) -> Any:
        value = self.get(key, (str, int), default)
        return str(value) if value is not None else None

    def number(self, key: str, default: Any = _MISSING, minimum: float | None = None) -> float:
        value = self.get(key, float, default)
        if minimum is not None and value < minimum:
            raise ScenarioError(self.at(key), f"must be >= {minimum}, got {value}")
        return float(value)

    def choice(self, key: str, options: tuple[str, ...], default: Any = _MISSING) -> Any:
        value = self.get(key, str, default)
        if value not in options:
            raise ScenarioError(self.at(key), f"must be one of {', '.join(options)}; got {value!r}")
        return value

    def items(self, key: str) -> list[Fields]:
        values = self.get(key, list, [])
        return [Fields(v, f"{self.at(key)}[{i}]") for i, v in enumerate(values)]

    def done(self) -> None:
        unknown = sorted(set(self.raw) - self._used)
        if unknown:
            raise ScenarioError(self.at(unknown[0]), "unknown key")
