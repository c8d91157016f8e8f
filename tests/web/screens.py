"""Checking what a person would see: screenshots saved as artifacts (and not blank), pixels,
and waiting for the page's state under its Content-Security-Policy."""

from __future__ import annotations

import re
import time
from pathlib import Path

import cv2
import numpy as np
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

_FUNCTION = re.compile(r"^\s*(\([\w\s,\[\]{}]*\)|\w+)\s*=>")
# One page.evaluate whose promise settles when the predicate holds (checked every animation
# frame) or the time is up. The predicate is part of this function's source, which DevTools
# compiles; Playwright's wait_for_function compiles a predicate with eval inside the page,
# which the pages' CSP (script-src 'self', no 'unsafe-eval') refuses.
_WAIT = """([arg, ms]) => new Promise((resolve, reject) => {
  const predicate = %s;
  const deadline = performance.now() + ms;
  const poll = () => {
    let value;
    try { value = predicate(arg); } catch (e) { reject(e); return; }
    if (value) resolve(true);
    else if (performance.now() > deadline) resolve(false);
    else requestAnimationFrame(poll);
  };
  poll();
})"""


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


def wait_for(page: Page, predicate: str, arg: object = None, timeout: float = 5000) -> None:
    """Wait until the JavaScript `predicate` (an expression, or a function of `arg`) is true
    in the page, for at most `timeout` ms; a navigation meanwhile starts the wait again."""
    function = predicate if _FUNCTION.match(predicate) else f"() => ({predicate})"
    deadline = time.monotonic() + timeout / 1000
    while (left := deadline - time.monotonic()) > 0:
        try:
            if page.evaluate(_WAIT % function, [arg, left * 1000]):
                return
        except PlaywrightError as exc:  # the page navigated away while we waited
            if "context was destroyed" not in str(exc) and "navigat" not in str(exc):
                raise
            page.wait_for_load_state()
    raise AssertionError(f"timed out after {timeout:.0f} ms waiting for: {predicate}")
