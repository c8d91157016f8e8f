"""The `python -m edge` command line: run the gateway, decode an EPC, parse a GS1 barcode.

Each command prints one JSON object on stdout; bad input gives one clear line on stderr
and a non-zero exit status (2 for bad input or config, 1 for a runtime failure).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import date

from protocol.labels import Label, LabelError, read_label

EXIT_BAD_INPUT = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m edge", description="StockPulse edge gateway")
    parser.add_argument("--config", help="gateway YAML (default: $EDGE_CONFIG)")
    parser.add_argument("--log-level", default=os.environ.get("EDGE_LOG_LEVEL", "INFO"))
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="run the gateway")
    run.add_argument("--config", dest="run_config", help="gateway YAML")
    check = sub.add_parser("check-config", help="validate a gateway YAML and print it")
    check.add_argument("config_path")
    gs1 = sub.add_parser("parse-gs1", help="print the GS1 application identifiers of a barcode")
    gs1.add_argument("barcode")
    epc = sub.add_parser("decode-epc", help="print the identity of an EPC given in hex")
    epc.add_argument("hex")
    return parser


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def cmd_parse_gs1(barcode: str) -> int:
    # A shell cannot pass a raw GS byte easily; accept the common "\x1d" and "<GS>" spellings.
    text = barcode.replace("\\x1d", "\x1d").replace("<GS>", "\x1d")
    try:
        label = read_label(text, today=date.today())
    except LabelError as exc:
        return _fail(f"not a valid GS1 barcode: {exc}")
    if not label.is_gs1:
        why = f" ({label.note})" if label.note else ""
        return _fail(f"not a GS1 barcode: it reads as plain text {label.text!r}{why}")
    print(json.dumps(_label_json(label)))
    return 0


def _label_json(label: Label) -> dict[str, object]:
    """The AIs as people read them, then the typed fields the label has (dates ISO)."""
    out: dict[str, object] = {"kind": str(label.kind), "symbology": label.symbology,
                              "ais": label.as_dict()}
    for name in ("gtin", "content_gtin", "sscc", "lot", "serial", "production_date",
                 "packaging_date", "best_before", "sell_by", "expiry", "quantity",
                 "net_weight_kg"):
        value = getattr(label, name)
        if value is not None:
            out[name] = value if isinstance(value, str) else str(value)
    return out


def cmd_decode_epc(hex_text: str) -> int:
    from edge.epc import EpcError, decode_epc_json

    try:
        print(json.dumps(decode_epc_json(hex_text)))
    except EpcError as exc:
        return _fail(f"not a valid EPC: {exc}")
    return 0


def cmd_check_config(path: str) -> int:
    from edge.config import ConfigError, load_config

    try:
        config = load_config(path, os.environ)
    except ConfigError as exc:
        return _fail(str(exc))
    print(json.dumps(config.summary()))
    return 0


def cmd_run(path: str | None) -> int:
    from edge.config import ConfigError, load_config

    path = path or os.environ.get("EDGE_CONFIG")
    if not path:
        return _fail("no config: pass --config gateway.yaml or set EDGE_CONFIG")
    try:
        config = load_config(path, os.environ)
    except ConfigError as exc:
        return _fail(str(exc))
    from edge.gateway import run_gateway  # the drivers are imported only for a valid config

    return run_gateway(config)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "parse-gs1":
        return cmd_parse_gs1(args.barcode)
    if args.command == "decode-epc":
        return cmd_decode_epc(args.hex)
    if args.command == "check-config":
        return cmd_check_config(args.config_path)
    return cmd_run(getattr(args, "run_config", None) or args.config)
