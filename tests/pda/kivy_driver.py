"""Driving the real Kivy PDA app in-process: frames pumped by hand, keys typed like a scanner.

A keyboard-wedge scanner is just a keyboard: each character is a key-down, a text-input and
a key-up on the window, and the label ends with Enter (keycode 13).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from kivy.config import Config

Config.set("graphics", "maxfps", "0")  # frames are pumped by hand: no pacing sleep

from kivy.base import EventLoop, runTouchApp, stopTouchApp  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.uix.widget import Widget  # noqa: E402

from pda_app.ui.app import PdaApp  # noqa: E402

ENTER = 13


class Driver:
    def __init__(self, app: PdaApp, shots: Path) -> None:
        self.app, self.shots = app, shots
        shots.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        self.app._run_prepare()
        runTouchApp(embedded=True)
        self.frames(5)

    def stop(self) -> None:
        self.app.stop()
        stopTouchApp()

    def frames(self, n: int = 3) -> None:
        for _ in range(n):
            EventLoop.idle()

    def until(self, done: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError(f"UI did not reach {what or done} within {timeout}s")
            EventLoop.idle()

    def scan(self, text: str) -> None:
        """Type like a keyboard-wedge scanner: the characters, then Enter."""
        for char in text:
            code = ord(char)
            Window.dispatch("on_key_down", code, 0, char, [])
            Window.dispatch("on_textinput", char)
            Window.dispatch("on_key_up", code, 0)
        Window.dispatch("on_key_down", ENTER, 40, None, [])
        Window.dispatch("on_key_up", ENTER, 40)
        self.frames(3)

    def show(self, name: str) -> Widget:
        self.app.show(name)
        self.until(lambda: self.app.root.current_screen.name == name, what=f"screen {name}")
        self.frames(3)
        return self.app.root.current_screen

    def press(self, container: Widget, label: str) -> None:
        button = next(w for w in container.children if getattr(w, "text", None) == label)
        button.dispatch("on_release")
        self.frames(3)

    def synced(self) -> None:
        """Wait until the background replay has delivered everything waiting."""
        session = self.app.session
        self.until(lambda: not self.app.replaying and session.waiting() == 0,
                   what="the queue delivered")
        self.frames(3)

    def screenshot(self, name: str) -> Path:
        self.frames(2)
        path = self.shots / f"{name}.png"
        self.app.root.export_to_png(str(path))
        return path


def not_blank(path: Path) -> float:
    """Pixel spread of a screenshot; a blank (one-colour) image gives 0."""
    import cv2

    image = cv2.imread(str(path))
    assert image is not None, f"{path} is not an image"
    sample = image[::3, ::3].reshape(-1, image.shape[-1]).astype(np.uint32)
    colours = len(np.unique((sample[:, 0] << 16) | (sample[:, 1] << 8) | sample[:, 2]))
    assert colours > 8, f"{path} has only {colours} colours"
    return float(image.std())
