"""CameraAdapter on real rendered frames (the firmware_bridge camera source and zxing-cpp)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import zxingcpp

from edge.camera.adapter import CameraAdapter, video_frames
from edge.settings import CameraSettings, Region
from firmware_bridge.camera.demo import dock_door_scene
from firmware_bridge.camera.scene import Scene
from firmware_bridge.camera.source import CameraSource
from protocol import Reason, StockMoved

REGIONS = (Region("DOCK-01", 0.0, 0.0, 0.5, 1.0), Region("STAGE-01", 0.5, 0.0, 1.0, 1.0))
CAM = CameraSettings(id="dock-cam-1", source=0, regions=REGIONS, rate_hz=15.0,
                     stable_frames=3, reason=Reason.PUTAWAY)
U1, U2, U3 = "106141411234567897", "09506000134352", "106141410000000019"


def fixed_scene(frames: int = 90) -> Scene:
    """The emulator's dock-door scene; its U3 label has a bad SSCC check digit (…0018),
    which the gateway rightly refuses, so the correct SSCC is printed instead."""
    scene = dock_door_scene(frames=frames)
    cartons = tuple(
        replace(c, label=replace(c.label, text=f"(00){U3}")) if c.unit_id == "U3" else c
        for c in scene.cartons)
    return replace(scene, cartons=cartons)


class Sink(list[StockMoved]):
    def __call__(self, moves: Sequence[StockMoved]) -> None:
        self.extend(moves)


def _summary(moves: Sequence[StockMoved]) -> list[tuple[str, str | None, str | None]]:
    out = []
    for m in moves:
        key = m.unit.sscc if m.unit else m.item.gtin  # type: ignore[union-attr]
        out.append((str(key), m.from_location, m.to_location))
    return out


@pytest.fixture(scope="module")
def dock_frames() -> list[tuple[float, np.ndarray]]:
    return [(f.t, f.image) for f in CameraSource(fixed_scene())]


def test_cartons_crossing_door_then_staging_become_moves(
        dock_frames: list[tuple[float, np.ndarray]]) -> None:
    sink = Sink()
    camera = CameraAdapter(CAM, "WH1", sink, dock_frames)
    camera.run()
    assert sorted(_summary(sink), key=str) == sorted([
        (U1, None, "DOCK-01"), (U1, "DOCK-01", "STAGE-01"),
        (U2, None, "DOCK-01"), (U2, "DOCK-01", "STAGE-01"),
        (U3, None, "DOCK-01"), (U3, "DOCK-01", "STAGE-01"),
    ], key=str)
    item = next(m.item for m in sink if m.item)
    assert (item.gtin, item.lot, str(item.expiry)) == (U2, "LOT42", "2027-01-31")
    assert all(m.source.kind == "vision" and m.reason is Reason.PUTAWAY for m in sink)
    stats = camera.stats()
    assert stats["frames_processed"] == 90 and stats["moves"] == 6
    assert stats["frames_without_label"] >= 4  # at least the four blurred frames
    assert 0 < float(stats["decode_ms_avg"]) <= float(stats["decode_ms_max"])
    assert stats["processing_rate_hz"] == pytest.approx(15.0, rel=0.05)


def test_a_label_with_a_bad_check_digit_is_rejected_not_moved() -> None:
    sink = Sink()
    frames = [(f.t, f.image) for f in CameraSource(dock_door_scene(frames=60))
              if 30 <= f.index < 60]
    camera = CameraAdapter(CAM, "WH1", sink, frames)
    camera.run()
    assert all(m.unit is None or m.unit.sscc != "106141410000000018" for m in sink)
    assert int(camera.stats()["labels_rejected"]) > 0


def test_frames_are_processed_at_the_configured_rate(
        dock_frames: list[tuple[float, np.ndarray]]) -> None:
    sink = Sink()
    slow = replace(CAM, rate_hz=5.0, stable_frames=2)
    camera = CameraAdapter(slow, "WH1", sink, dock_frames)
    camera.run()
    stats = camera.stats()
    assert stats["frames_seen"] == 90
    assert 29 <= int(stats["frames_processed"]) <= 31
    assert stats["processing_rate_hz"] == pytest.approx(5.0, rel=0.1)
    assert {m.to_location for m in sink} == {"DOCK-01", "STAGE-01"}


def test_unreadable_frames_and_non_gs1_labels_are_counted_not_fatal() -> None:
    sink = Sink()
    plain = np.asarray(zxingcpp.create_barcode("HELLO-1", zxingcpp.BarcodeFormat.QRCode)
                       .to_image(scale=6, add_quiet_zones=True), dtype=np.uint8)
    frame = np.full((300, 600), 255, dtype=np.uint8)
    frame[20:20 + plain.shape[0], 20:20 + plain.shape[1]] = plain
    junk: list[tuple[float, object]] = [
        (0.0, None), (0.1, np.zeros((4, 4), np.uint8)), (0.2, np.zeros((50, 50), np.float32)),
        (0.3, "not an image"), (0.4, np.zeros((50, 50, 2), np.uint8)),
        (0.5, frame), (0.6, frame), (0.7, np.zeros((120, 160, 3), np.uint8)),
    ]
    camera = CameraAdapter(CAM, "WH1", sink, junk)
    camera.run()
    stats = camera.stats()
    assert not sink
    assert stats["frames_unreadable"] == 5
    assert stats["labels_rejected"] == 2
    assert stats["frames_without_label"] == 3
    assert "frame" in str(stats["last_error"])


def test_a_video_file_is_read_through_opencv(tmp_path: Path) -> None:
    source = CameraSource(fixed_scene(frames=60))
    video = tmp_path / "dock.avi"
    source.write_video(video)
    sink = Sink()
    camera = CameraAdapter(CAM, "WH1", sink, video_frames(str(video), threading.Event()))
    camera.run()
    got = _summary(sink)
    assert (U1, None, "DOCK-01") in got and (U1, "DOCK-01", "STAGE-01") in got
    assert camera.stats()["frames_processed"] == 60
