"""The frame protocol's one error type."""

from __future__ import annotations


class FrameError(ValueError):
    """Bytes or values that do not make a valid frame (bad COBS, CRC, length, type or field)."""
