"""Decoding one camera frame with zxing-cpp: the symbols found, where, and how many were damaged.

Rule kept here: anything that is not an 8-bit grey or BGR image is a FrameError, and a
symbol zxing found but could not read is counted as damaged, never returned as a label.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import zxingcpp

KNOWN_FORMATS = ("Code128", "DataMatrix", "QRCode")


class FrameError(ValueError):
    """The frame is not an image we can decode."""


@dataclass(frozen=True, slots=True)
class Symbol:
    text: str  # GS1 content as HRI "(00)..."; other content as it is
    format: str
    gs1: bool
    x: float  # centre of the symbol, as fractions of the frame width / height
    y: float


@dataclass(frozen=True, slots=True)
class FrameReading:
    symbols: tuple[Symbol, ...]
    damaged: int


def formats_of(names: tuple[str, ...]) -> zxingcpp.BarcodeFormats:
    unknown = [n for n in names if n not in KNOWN_FORMATS]
    if unknown or not names:
        raise ValueError(f"formats must be some of {', '.join(KNOWN_FORMATS)}, not {unknown}")
    return zxingcpp.barcode_formats_from_str(",".join(names))


def _check(image: object) -> np.ndarray:
    if not isinstance(image, np.ndarray):
        raise FrameError(f"a frame must be an image array, not {type(image).__name__}")
    if image.dtype != np.uint8:
        raise FrameError(f"a frame must be 8-bit, not {image.dtype}")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3)):
        raise FrameError(f"a frame must be grey or BGR, not of shape {image.shape}")
    if min(image.shape[:2]) < 8:
        raise FrameError(f"a frame of {image.shape[1]}x{image.shape[0]} pixels is too small")
    return np.ascontiguousarray(image)


def read_frame(image: object, formats: zxingcpp.BarcodeFormats) -> FrameReading:
    frame = _check(image)
    height, width = frame.shape[:2]
    try:
        found = zxingcpp.read_barcodes(frame, formats=formats, return_errors=True)
    except (ValueError, TypeError, RuntimeError) as exc:
        raise FrameError(f"zxing-cpp could not read the frame: {exc}") from None
    symbols: list[Symbol] = []
    damaged = 0
    for barcode in found:
        if not barcode.valid or barcode.error:
            damaged += 1
            continue
        p = barcode.position
        corners = (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
        x = sum(c.x for c in corners) / 4 / width
        y = sum(c.y for c in corners) / 4 / height
        symbols.append(Symbol(barcode.text, str(barcode.format).replace(" ", ""),
                              barcode.content_type == zxingcpp.ContentType.GS1, x, y))
    return FrameReading(tuple(symbols), damaged)
