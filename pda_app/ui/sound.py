"""Beeper: a short tone per feedback (high = good, low buzz = rescan), where audio exists.

Rule kept here: sound is a nicety — no audio device, no audio provider or an unwritable
folder means silence, never an error on the picker's screen.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

from pda_app.flows.feedback import Tone

RATE = 16000
TONES = {Tone.OK: (1760.0, 0.08), Tone.WARN: (880.0, 0.15), Tone.ERROR: (220.0, 0.35)}


def write_tone(path: Path, frequency: float, seconds: float) -> Path:
    frames = int(RATE * seconds)
    samples = (int(12000 * math.sin(2 * math.pi * frequency * n / RATE)) for n in range(frames))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return path


class Beeper:
    def __init__(self, folder: Path) -> None:
        self._sounds: dict[Tone, object] = {}
        try:
            from kivy.core.audio import SoundLoader

            folder.mkdir(parents=True, exist_ok=True)
            for tone, (frequency, seconds) in TONES.items():
                path = write_tone(folder / f"beep-{tone.value}.wav", frequency, seconds)
                sound = SoundLoader.load(str(path))
                if sound is not None:
                    self._sounds[tone] = sound
        except (OSError, ImportError, RuntimeError):
            self._sounds = {}

    @property
    def available(self) -> bool:
        return bool(self._sounds)

    def play(self, tone: Tone) -> None:
        sound = self._sounds.get(tone)
        if sound is not None:
            try:
                sound.stop()  # type: ignore[attr-defined]
                sound.play()  # type: ignore[attr-defined]
            except (OSError, RuntimeError):
                pass
