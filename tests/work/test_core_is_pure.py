"""The work core imports no I/O library: its rules can run anywhere, tests need no services."""

from __future__ import annotations

import subprocess
import sys

CORE = ["model", "receiving", "putaway", "orders", "picking", "counts", "steps", "taskflow"]
FORBIDDEN = ["psycopg", "psycopg_pool", "fastapi", "paho", "sllurp", "serial", "cv2", "kivy"]


def test_core_modules_import_no_io_library() -> None:
    code = ("import sys\n"
            + "".join(f"import cloud_hub.work.{m}\n" for m in CORE)
            + f"print(sorted(m for m in {FORBIDDEN!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "[]"
