"""Scanned labels: the one reader used by the edge, the PDA and the hub (GS1 or plain text)."""

from protocol.errors import LabelError
from protocol.labels.gs1 import (
    GS,
    check_digit,
    check_digit_ok,
    element_string,
    hri,
    with_check_digit,
)
from protocol.labels.label import Element, Label, LabelKind
from protocol.labels.reader import MAX_LABEL_CHARS, clean, read_label

__all__ = [
    "GS",
    "MAX_LABEL_CHARS",
    "Element",
    "Label",
    "LabelError",
    "LabelKind",
    "check_digit",
    "check_digit_ok",
    "clean",
    "element_string",
    "hri",
    "read_label",
    "with_check_digit",
]
