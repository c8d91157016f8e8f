"""RFID adapters: LLRP readers through sllurp, wired to the portal and zone logic."""

from edge.rfid.config import ReaderConfig, RfidConfig, RfidConfigError, parse_rfid_config

__all__ = ["ReaderConfig", "RfidConfig", "RfidConfigError", "parse_rfid_config"]
