"""A webhook receiver in its own process for bench/webhooks.py (so it does not share the hub's
GIL, and can be killed with SIGKILL): verifies each Standard Webhooks signature, appends the
webhook-id to --out (unbuffered) and only then answers 200; prints "ready" when listening.

    python bench/webhook_receiver.py --port 8765 --secret whsec_... --out ids.txt
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.webhooks.receiver import Receiver


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--secret", required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    fd = os.open(args.out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    lock = threading.Lock()

    def sink(webhook_id: str) -> None:
        with lock:
            os.write(fd, webhook_id.encode() + b"\n")

    Receiver(args.secret, args.port, sink).start()
    print("ready", flush=True)
    threading.Event().wait()  # until killed
    return 0


if __name__ == "__main__":
    sys.exit(main())
