"""GS1's EPCIS 2.0 JSON schema (tests/data/epcis/README.md says where it comes from), with
formats checked (a `uri` must be a URI, a `date-time` a time)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

SCHEMA = Path(__file__).resolve().parent.parent / "data" / "epcis" / "EPCIS-JSON-Schema.json"


@cache
def validator() -> jsonschema_rs.Draft7Validator:
    return jsonschema_rs.Draft7Validator(json.loads(SCHEMA.read_text()), validate_formats=True)


def errors(document: Any) -> list[str]:
    return [f"{e.instance_path}: {e.message}" for e in validator().iter_errors(document)][:10]


def assert_valid(document: Any) -> None:
    found = errors(document)
    assert not found, "not a valid EPCIS 2.0 document:\n" + "\n".join(found)
