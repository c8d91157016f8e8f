"""CameraScanner: the optional camera path — opencv grabs frames, zxing-cpp decodes them.

Rule kept here: a decoded symbol becomes the same string a keyboard-wedge scanner would type
(AIM symbology id + data, GS between GS1 fields), so the flows cannot tell the two apart.
No camera, or nothing readable, is an answer (None), never an exception.
"""

from __future__ import annotations

import numpy as np
import zxingcpp

MAX_FRAMES = 30


def decode_frame(frame: np.ndarray) -> list[str]:
    """Every symbol readable in one frame, as scanner strings (largest first as zxing finds)."""
    if not isinstance(frame, np.ndarray) or frame.ndim not in (2, 3) or min(frame.shape[:2]) < 8:
        return []
    try:
        found = zxingcpp.read_barcodes(np.ascontiguousarray(frame))
    except (ValueError, TypeError, RuntimeError):
        return []
    out = []
    for symbol in found:
        if not symbol.valid:
            continue
        if symbol.content_type == zxingcpp.ContentType.GS1:
            data = bytes(symbol.bytes).decode("ascii", errors="replace")
            out.append(f"{symbol.symbology_identifier}{data}")
        else:
            out.append(symbol.text)
    return out


class CameraScanner:
    def __init__(self, index: int = 0) -> None:
        self.index = index

    def scan_once(self, max_frames: int = MAX_FRAMES) -> str | None:
        """Open the camera, read until a symbol decodes (or give up), close it."""
        import cv2  # only the camera path needs opencv

        capture = cv2.VideoCapture(self.index)
        try:
            if not capture.isOpened():
                return None
            for _ in range(max_frames):
                ok, frame = capture.read()
                if not ok:
                    return None
                found = decode_frame(frame)
                if found:
                    return found[0]
            return None
        finally:
            capture.release()
