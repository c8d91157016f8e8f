"""The gateway's pure core imports no I/O library (STYLE: core modules are testable alone)."""

from __future__ import annotations

import json
import subprocess
import sys

CORE = ["edge.gs1", "edge.scanner", "edge.scanner.lines", "edge.scanner.station",
        "edge.camera", "edge.camera.tracker", "edge.settings"]
FORBIDDEN = ["psycopg", "paho", "sllurp", "serial", "cv2", "kivy", "fastapi", "sqlite3",
             "zxingcpp"]


def test_core_modules_import_no_io_library() -> None:
    code = (f"import sys, json\nfor m in {CORE!r}: __import__(m)\n"
            f"print(json.dumps(sorted(set({FORBIDDEN!r}) & set(sys.modules))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert json.loads(done.stdout) == []
