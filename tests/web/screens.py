"""Checking screenshots a person would see: saved as artifacts, and not blank."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from playwright.sync_api import Page


def save_screenshot(page: Page, path: Path) -> np.ndarray:
    """Save a PNG of the page and return it as a BGR image, failing if it looks blank."""
    png = page.screenshot(path=str(path))
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, f"{path} is not a PNG"
    colours = len(np.unique(image.reshape(-1, 3)[::7], axis=0))
    assert image.std() > 12 and colours > 30, (
        f"{path} looks blank: std {image.std():.1f}, {colours} colours")
    return image


def pixel(page: Page, x: float, y: float) -> tuple[int, int, int]:
    """The map canvas's pixel at CSS position (x, y), as RGB."""
    rgb = page.evaluate(
        "([x, y]) => Array.from(document.getElementById('map').getContext('2d')"
        ".getImageData(Math.round(x * devicePixelRatio), Math.round(y * devicePixelRatio), 1, 1)"
        ".data.slice(0, 3))", [x, y])
    return (rgb[0], rgb[1], rgb[2])


def hex_rgb(colour: str) -> tuple[int, int, int]:
    n = int(colour.lstrip("#"), 16)
    return (n >> 16) & 255, (n >> 8) & 255, n & 255
