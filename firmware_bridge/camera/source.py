"""CameraSource: renders a Scene to BGR frames (numpy/opencv) with zxing-cpp labels.

Rule kept here: pixels follow the scene's ground truth — labels are real symbols drawn at
whole-pixel module size, and what the truth calls undecodable is blurred, covered or hidden.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import zxingcpp

from firmware_bridge.camera.scene import (
    ImpairmentKind,
    Label,
    LabelSymbology,
    Rect,
    Scene,
    SceneError,
    Sighting,
    Visit,
    label_rect,
    sightings,
    visits,
)

_FORMATS = {
    LabelSymbology.QR: zxingcpp.BarcodeFormat.QRCode,
    LabelSymbology.DATAMATRIX: zxingcpp.BarcodeFormat.DataMatrix,
    LabelSymbology.GS1_128: zxingcpp.BarcodeFormat.Code128,
}
_FLOOR = (88, 92, 96)
_CARTON = (70, 125, 175)
_EDGE = (40, 75, 110)
_NOISE_FIELDS = 4
_BLUR_SIGMA = 7.0


def render_label(label: Label) -> np.ndarray:
    """The label as a greyscale image (symbol with quiet zones), via zxing-cpp's encoder."""
    try:
        symbol = zxingcpp.create_barcode(label.text, _FORMATS[label.symbology], gs1=label.gs1)
    except (ValueError, RuntimeError) as exc:
        raise SceneError(f"cannot encode {label.text!r} as {label.symbology}: {exc}") from None
    image = np.asarray(symbol.to_image(scale=label.module_px, add_quiet_zones=True))
    return np.ascontiguousarray(image, dtype=np.uint8)


@dataclass(frozen=True, slots=True)
class CameraFrame:
    index: int
    t: float
    image: np.ndarray  # BGR, height × width × 3, uint8
    truth: tuple[Sighting, ...]


class CameraSource:
    """Frames of `scene` as an iterator, one at a time, or as a video file; `truth` holds
    every sighting and `visits()` the per-region stays."""

    def __init__(self, scene: Scene) -> None:
        self.scene = scene
        self._labels = {c.unit_id: render_label(c.label) for c in scene.cartons}
        sizes = {unit: (img.shape[1], img.shape[0]) for unit, img in self._labels.items()}
        for carton in scene.cartons:
            w, h = sizes[carton.unit_id]
            if w > carton.size[0] or h > carton.size[1]:
                raise SceneError(f"label of {carton.unit_id} ({w}x{h}) does not fit its "
                                 f"carton {carton.size[0]}x{carton.size[1]}")
        self.truth: tuple[Sighting, ...] = tuple(sightings(scene, sizes))
        self._by_frame: dict[int, list[Sighting]] = {}
        for s in self.truth:
            self._by_frame.setdefault(s.frame, []).append(s)
        self._background = self._draw_background()
        rng = np.random.default_rng(scene.seed)
        shape = (scene.height, scene.width, 3)
        self._noise = [rng.integers(-4, 5, size=shape, dtype=np.int16)
                       for _ in range(_NOISE_FIELDS)]

    def __len__(self) -> int:
        return self.scene.frames

    def __iter__(self) -> Iterator[CameraFrame]:
        for index in range(self.scene.frames):
            yield CameraFrame(index, index / self.scene.fps, self.render(index),
                              tuple(self._by_frame.get(index, ())))

    def truth_at(self, index: int) -> list[Sighting]:
        return list(self._by_frame.get(index, ()))

    def visits(self) -> list[Visit]:
        return visits(self.truth)

    def render(self, index: int) -> np.ndarray:
        """Frame `index` as a BGR image."""
        if not 0 <= index < self.scene.frames:
            raise IndexError(f"frame {index} is outside 0..{self.scene.frames - 1}")
        image = self._background.copy()
        for carton in self.scene.cartons:
            box = carton.rect(index, self.scene.width)
            if box is None:
                continue
            _fill(image, box, _CARTON)
            _outline(image, box, _EDGE)
            label = self._labels[carton.unit_id]
            spot = label_rect(box, (label.shape[1], label.shape[0]))
            _paste(image, spot, cv2.cvtColor(label, cv2.COLOR_GRAY2BGR))
        self._impair(image, index)
        noisy = image.astype(np.int16) + self._noise[index % _NOISE_FIELDS]
        clipped: np.ndarray = np.clip(noisy, 0, 255)
        return clipped.astype(np.uint8)

    def _impair(self, image: np.ndarray, index: int) -> None:
        for s in self._by_frame.get(index, ()):
            if s.impairment == ImpairmentKind.OCCLUSION:  # a hand over the left of the label
                r = s.rect
                _fill(image, Rect(r.x - 4, r.y - 4, r.w * 45 // 100 + 4, r.h + 8), (35, 45, 60))
        if any(imp.kind is ImpairmentKind.BLUR and imp.first_frame <= index <= imp.last_frame
               for imp in self.scene.impairments):
            cv2.GaussianBlur(image, (0, 0), _BLUR_SIGMA, dst=image)

    def _draw_background(self) -> np.ndarray:
        scene = self.scene
        image = np.empty((scene.height, scene.width, 3), dtype=np.uint8)
        image[:] = _FLOOR
        for y in range(0, scene.height, 48):  # conveyor rollers
            image[y : y + 3, :] = (70, 72, 76)
        for region in scene.regions:
            r = region.rect
            _outline(image, r, (0, 200, 255))
            cv2.putText(image, f"{region.name} {region.location}", (r.x + 8, r.y + 22),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 200, 255), 1, cv2.LINE_AA)
        return image

    def write_video(self, path: Path, fourcc: str = "MJPG") -> int:
        """Write every frame to `path` (e.g. .avi with MJPG); returns the frames written."""
        size = (self.scene.width, self.scene.height)
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), self.scene.fps,
                                 size)
        if not writer.isOpened():
            raise SceneError(f"OpenCV cannot write {fourcc} video to {path}")
        try:
            count = 0
            for frame in self:
                writer.write(frame.image)
                count += 1
            return count
        finally:
            writer.release()

    def write_truth(self, path: Path) -> None:
        """The ground truth as JSON: sightings per frame and per-region visits."""
        body = {
            "camera_id": self.scene.camera_id, "fps": self.scene.fps,
            "frames": self.scene.frames,
            "sightings": [_jsonable(asdict(s)) for s in self.truth],
            "visits": [asdict(v) for v in self.visits()],
        }
        path.write_text(json.dumps(body, indent=1))


def _jsonable(d: dict[str, object]) -> dict[str, object]:
    d["symbology"] = str(d["symbology"])
    return d


def _clip(image: np.ndarray, r: Rect) -> tuple[int, int, int, int]:
    h, w = image.shape[:2]
    return max(r.x, 0), max(r.y, 0), min(r.x + r.w, w), min(r.y + r.h, h)


def _fill(image: np.ndarray, r: Rect, colour: tuple[int, int, int]) -> None:
    x0, y0, x1, y1 = _clip(image, r)
    if x0 < x1 and y0 < y1:
        image[y0:y1, x0:x1] = colour


def _outline(image: np.ndarray, r: Rect, colour: tuple[int, int, int]) -> None:
    cv2.rectangle(image, (r.x, r.y), (r.x + r.w - 1, r.y + r.h - 1), colour, 2)


def _paste(image: np.ndarray, r: Rect, patch: np.ndarray) -> None:
    x0, y0, x1, y1 = _clip(image, r)
    if x0 < x1 and y0 < y1:
        image[y0:y1, x0:x1] = patch[y0 - r.y : y1 - r.y, x0 - r.x : x1 - r.x]
