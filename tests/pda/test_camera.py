"""The camera path on rendered frames: a GS1-128 label decodes to what a wedge scanner types."""

from __future__ import annotations

from datetime import date

import cv2
import numpy as np
import zxingcpp

from pda_app.camera import CameraScanner, decode_frame
from pda_app.flows.scan import read_scan
from tests.pda.tasks_factory import GTIN


def _frame_with(text: str, fmt: zxingcpp.BarcodeFormat, gs1: bool) -> np.ndarray:
    symbol = np.asarray(zxingcpp.create_barcode(text, fmt, gs1=gs1).to_image(
        scale=2, add_quiet_zones=True))
    frame = np.full((480, 800, 3), 150, np.uint8)  # a grey carton side
    h, w = symbol.shape[:2]
    frame[100:100 + h, 40:40 + w] = cv2.cvtColor(symbol, cv2.COLOR_GRAY2BGR)
    return cv2.GaussianBlur(frame, (3, 3), 0)


def test_gs1_128_label_on_a_frame_fills_item_lot_and_quantity() -> None:
    frame = _frame_with(f"(01){GTIN}(10)L1(30)5", zxingcpp.BarcodeFormat.Code128, gs1=True)
    found = decode_frame(frame)
    assert found == [f"]C101{GTIN}10L1\x1d305"]
    seen = read_scan(found[0], date(2026, 5, 1))
    assert (seen.gtin, seen.lot, seen.quantity) == (GTIN, "L1", 5)


def test_plain_qr_location_label_reads_as_text() -> None:
    found = decode_frame(_frame_with("A-01-02", zxingcpp.BarcodeFormat.QRCode, gs1=False))
    assert found == ["A-01-02"]


def test_nothing_readable_is_an_empty_answer() -> None:
    assert decode_frame(np.zeros((480, 640, 3), np.uint8)) == []
    assert decode_frame(np.zeros((2, 2), np.uint8)) == []
    assert decode_frame("not a frame") == []  # type: ignore[arg-type]


def test_no_camera_device_is_none_not_a_crash() -> None:
    assert CameraScanner(index=97).scan_once(max_frames=1) is None
