"""PdaSettings: where the hub is, which warehouse and device this PDA is, where it keeps its queue.

Rule kept here: built once in `main` from arguments over PDA_* environment variables and
passed down; nothing reads the environment elsewhere.
"""

from __future__ import annotations

import argparse
import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class PdaSettings:
    hub_url: str = "http://127.0.0.1:8000"
    warehouse: str = "WH1"
    device_id: str = "pda-1"
    data_dir: Path = Path.home() / ".stockpulse-pda"
    sound: bool = True
    timeout_s: float = 4.0
    retry_s: float = 5.0  # how often the queue is replayed while items wait
    width: int = 480
    height: int = 800
    gs_substitute: str = ""  # a scanner that cannot send GS (0x1D) may send this instead
    camera_index: int = 0  # opencv VideoCapture index for the CAM button

    @property
    def queue_path(self) -> Path:
        return self.data_dir / "queue.db"


def parse(argv: Sequence[str], env: Mapping[str, str] | None = None) -> PdaSettings:
    env = os.environ if env is None else env
    default = PdaSettings()
    p = argparse.ArgumentParser(prog="python -m pda_app", description="StockPulse PDA app")
    p.add_argument("--hub", default=env.get("PDA_HUB_URL", default.hub_url),
                   help="hub base URL, e.g. http://10.0.0.5:8000")
    p.add_argument("--warehouse", default=env.get("PDA_WAREHOUSE", default.warehouse))
    p.add_argument("--device", default=env.get("PDA_DEVICE_ID",
                                              f"pda-{socket.gethostname()}"[:64]))
    p.add_argument("--data-dir", type=Path,
                   default=Path(env.get("PDA_DATA_DIR", str(default.data_dir))))
    p.add_argument("--no-sound", action="store_true",
                   default=env.get("PDA_SOUND", "1") in ("0", "false", "no"))
    p.add_argument("--size", default=env.get("PDA_SIZE", "480x800"), help="window WxH")
    p.add_argument("--gs-substitute", default=env.get("PDA_GS_SUBSTITUTE", ""),
                   help="characters a scanner sends instead of GS (0x1D), e.g. '~'")
    p.add_argument("--camera", type=int, default=int(env.get("PDA_CAMERA", "0")),
                   help="camera index for the CAM button (opencv)")
    args = p.parse_args(list(argv))
    try:
        width, height = (int(v) for v in str(args.size).lower().split("x"))
    except ValueError:
        p.error(f"--size wants WIDTHxHEIGHT, not {args.size!r}")
    return PdaSettings(hub_url=args.hub, warehouse=args.warehouse, device_id=args.device,
                       data_dir=args.data_dir, sound=not args.no_sound, width=width,
                       height=height, gs_substitute=args.gs_substitute,
                       camera_index=args.camera)
