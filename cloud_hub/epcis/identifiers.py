"""The URIs an EPCIS document names things by: units, items, lots, places, transactions.

Rule kept here: a GS1 key is written as a GS1 Digital Link URI on `https://id.gs1.org`
(EPCIS 2.0 accepts it wherever an EPC URI goes, and it needs no GS1 Company Prefix length,
which a barcode does not carry and the hub does not know); an RFID tag that is not a GS1 key
keeps its EPC pure-identity URN (epcpy decodes it), or its raw URN when nothing decodes it.
What has no GS1 key is named under `urn:stockpulse:` (docs/epcis.md). Every name built here
can be read back by `unit_key_of` / `location_of`, which the query's filters use. The builders
are memoised (bounded): an export names the same few places and lots over and over.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote, unquote

from epcpy import (
    epc_pure_identity_to_gs1_element_string,
    epc_pure_identity_to_gs1_key,
    hex_to_tag_encodable,
)

DL = "https://id.gs1.org"
OWN = "urn:stockpulse"
# Characters a URN's specific string may hold as they are (RFC 8141), ':' and ',' excepted: one
# separates our parts and a comma separates the values of a query, so both are percent-encoded.
_SAFE = "-._~!$&'()*+;=@"
_DIGITS = re.compile(r"^[0-9]+$")
# Most codes need no escaping: telling so is a regex match, a tenth of urllib's quote.
_PLAIN = re.compile(r"^[A-Za-z0-9\-._~!$&'()*+;=@]*$")
_PLAIN_DL = re.compile(r"^[A-Za-z0-9\-._~!$&'()*+;=:@]*$")


def part(text: str) -> str:
    """One part of a `urn:stockpulse:` name, percent-encoded."""
    return text if _PLAIN.match(text) else quote(text, safe=_SAFE)


def _dl_part(text: str) -> str:
    return text if _PLAIN_DL.match(text) else quote(text, safe="-._~!$&'()*+;=:@")


def gtin14(gtin: str) -> str:
    return gtin.zfill(14)


@lru_cache(maxsize=4096)
def location_uri(warehouse: str, code: str, gln: tuple[str, str] | None = None) -> str:
    """A place: its SGLN (Digital Link, GLN + extension) when the catalog gives one, else
    `urn:stockpulse:loc:<warehouse>:<code>`."""
    if gln is not None:
        number, extension = gln
        return f"{DL}/414/{number}" + (f"/254/{_dl_part(extension)}" if extension else "")
    return f"{OWN}:loc:{part(warehouse)}:{part(code)}"


@lru_cache(maxsize=4096)
def device_uri(warehouse: str, device_id: str) -> str:
    """A read point that is only a device (no read point named): the device itself."""
    return f"{OWN}:device:{part(warehouse)}:{part(device_id)}"


def location_of(uri: str, glns: dict[str, str] | None = None) -> tuple[str, str] | None:
    """(warehouse or '', code) named by a location URI; None when it names no place of ours.
    `glns` maps an SGLN URI back to its code (the warehouse's catalog)."""
    if glns is not None and uri in glns:
        return "", glns[uri]
    prefix = f"{OWN}:loc:"
    if not uri.startswith(prefix):
        return None
    warehouse, sep, code = uri[len(prefix):].partition(":")
    if not sep or not code or ":" in code:
        return None
    return unquote(warehouse), unquote(code)


@lru_cache(maxsize=4096)
def _tag_uri(hex_epc: str) -> str:
    """An RFID tag's EPC as a URI: the GS1 key it encodes, as Digital Link, else its pure
    identity URN, else the raw URN (Tag Data Standard)."""
    try:
        tag = hex_to_tag_encodable(hex_epc)
        pure = str(tag.epc_uri)
    except Exception:  # epcpy raises several types for what it cannot decode
        return f"urn:epc:raw:{len(hex_epc) * 4}.x{hex_epc.upper()}"
    return _dl_of_pure(pure) or pure


def _dl_of_pure(pure: str) -> str | None:
    """A pure-identity EPC URN as a Digital Link URI when it is an SSCC or an SGTIN."""
    if pure.startswith("urn:epc:id:sscc:"):
        return f"{DL}/00/{epc_pure_identity_to_gs1_key(pure)}"
    if pure.startswith("urn:epc:id:sgtin:"):
        element = re.match(r"^\(01\)([0-9]{14})\(21\)(.+)$",
                           str(epc_pure_identity_to_gs1_element_string(pure)))
        return f"{DL}/01/{element[1]}/21/{_dl_part(element[2])}" if element else None
    return None


def unit_uri(unit_key: str) -> str:
    """A handling unit by the ledger's key (`sscc:<18 digits>` or `epc:<hex>`)."""
    kind, _, value = unit_key.partition(":")
    if kind == "sscc":
        return f"{DL}/00/{value}"
    return _tag_uri(value)


def unit_key_of(uri: str) -> str | None:
    """The ledger's unit key an EPC URI names, when it names one by a key the ledger keeps:
    an SSCC (Digital Link or EPC URN) or a raw tag. None: it may still name a unit whose tag
    decodes to it (the export then checks each event)."""
    if uri.startswith(f"{DL}/00/"):
        value = uri[len(DL) + 4:]
        return f"sscc:{value}" if len(value) == 18 and _DIGITS.match(value) else None
    if uri.startswith("urn:epc:id:sscc:"):
        try:
            value = str(epc_pure_identity_to_gs1_key(uri))
        except Exception:  # not a valid SSCC URN
            return None
        return f"sscc:{value}"
    match = re.match(r"^urn:epc:raw:[0-9]+\.x([0-9A-Fa-f]{8,128})$", uri)
    return f"epc:{match.group(1).upper()}" if match else None


@lru_cache(maxsize=4096)
def class_uri(sku: str, gtin: str | None, lot: str | None) -> str:
    """A quantity's class: LGTIN (GTIN + lot) or GTIN as Digital Link when the SKU has a GTIN,
    else `urn:stockpulse:sku:<sku>` and `urn:stockpulse:lot:<sku>:<lot>`."""
    if gtin is not None:
        base = f"{DL}/01/{gtin14(gtin)}"
        return f"{base}/10/{_dl_part(lot)}" if lot else base
    return f"{OWN}:lot:{part(sku)}:{part(lot)}" if lot else f"{OWN}:sku:{part(sku)}"


def serial_uri(sku: str, gtin: str | None, serial: str) -> str:
    """One serialised item: SGTIN (Digital Link) or `urn:stockpulse:serial:<sku>:<serial>`."""
    if gtin is not None:
        return f"{DL}/01/{gtin14(gtin)}/21/{_dl_part(serial)}"
    return f"{OWN}:serial:{part(sku)}:{part(serial)}"


def transaction(task_id: str | None, warehouse: str) -> tuple[str, str] | None:
    """(CBV bizTransaction type, URI) of the business document a move's task names: a
    receipt (the expected inbound, an ASN: `desadv`) or an order it shipped (`po`)."""
    if task_id is None:
        return None
    kind, sep, ident = task_id.partition(":")
    if not sep or not ident:
        return None
    if kind == "receipt":
        return "desadv", _prefix("receipt", warehouse) + part(ident)
    if kind == "ship":
        return "po", order_uri(warehouse, ident)
    return None


def order_uri(warehouse: str, order_id: str) -> str:
    """An order (the customer's purchase order, CBV type `po`) as `urn:stockpulse:order:`."""
    return _prefix("order", warehouse) + part(order_id)


@lru_cache(maxsize=256)
def _prefix(kind: str, warehouse: str) -> str:
    """`urn:stockpulse:<kind>:<warehouse>:`, made once per warehouse (every event names one)."""
    return f"{OWN}:{kind}:{part(warehouse)}:"
