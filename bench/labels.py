"""Label reader benchmark: microseconds per read_label() for the label shapes the edge, the PDA
and the hub meet (GS1-128 item label, SSCC, HRI text, EAN-13, plain bin code).

Run: .venv/bin/python bench/labels.py [--reads N]   (last line: one JSON object)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from protocol.labels import read_label  # noqa: E402

TODAY = date(2026, 5, 1)
LABELS = {
    "gs1_128_item": "]C10109506000134352172612311" "0LOT42\x1d3103000750\r\n",
    "gs1_128_sscc": "]C100106141411234567897\r\n",
    "hri_item": "(01)09506000134352(17)261231(10)LOT42",
    "ean13": "]E09506000134352\r\n",
    "plain_bin": "]C0A01-03-2\r\n",
}


def us_per_read(raw: str, reads: int) -> float:
    read_label(raw, today=TODAY)  # warm: biip loads its AI table once
    start = time.perf_counter()
    for _ in range(reads):
        read_label(raw, today=TODAY)
    return round((time.perf_counter() - start) / reads * 1e6, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reads", type=int, default=20_000)
    args = parser.parse_args()
    figures = {f"{name}_us": us_per_read(raw, args.reads) for name, raw in LABELS.items()}
    print(json.dumps({"benchmark": "labels", "reads_each": args.reads, **figures}))


if __name__ == "__main__":
    main()
