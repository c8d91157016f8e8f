"""EPC-96 encoders for scenario tags: SSCC-96 and SGTIN-96 per GS1 EPC Tag Data Standard §14.

Pure integer arithmetic; the partition tables are TDS Table 14-2 (SGTIN) and 14-5 (SSCC).
"""

from __future__ import annotations

# partition -> (company prefix bits, digits), other-field bits; digits of other = total - cp
_SGTIN_PARTITIONS = {0: (40, 12, 4), 1: (37, 11, 7), 2: (34, 10, 10), 3: (30, 9, 14),
                     4: (27, 8, 17), 5: (24, 7, 20), 6: (20, 6, 24)}
_SSCC_PARTITIONS = {0: (40, 12, 18), 1: (37, 11, 21), 2: (34, 10, 24), 3: (30, 9, 28),
                    4: (27, 8, 31), 5: (24, 7, 34), 6: (20, 6, 38)}


def _partition(table: dict[int, tuple[int, int, int]], company_prefix: str) -> int:
    for part, (_bits, digits, _other) in table.items():
        if digits == len(company_prefix):
            return part
    raise ValueError(f"company prefix must have 6..12 digits, got {company_prefix!r}")


def _digits(value: str, name: str) -> int:
    if not value.isdigit():
        raise ValueError(f"{name} must be digits, got {value!r}")
    return int(value)


def sscc96_hex(company_prefix: str, serial_reference: str, filter_value: int = 0) -> str:
    """SSCC-96 (header 0x31): serial_reference is extension digit + serial, 17 - len(cp) digits."""
    part = _partition(_SSCC_PARTITIONS, company_prefix)
    cp_bits, cp_digits, ref_bits = _SSCC_PARTITIONS[part]
    if len(serial_reference) != 17 - cp_digits:
        raise ValueError(f"serial reference must have {17 - cp_digits} digits")
    ref = _digits(serial_reference, "serial reference")
    if ref >= 1 << ref_bits:
        raise ValueError("serial reference does not fit its partition")
    value = 0x31
    for field, bits in ((filter_value, 3), (part, 3),
                        (_digits(company_prefix, "company prefix"), cp_bits), (ref, ref_bits),
                        (0, 24)):
        value = (value << bits) | field
    return f"{value:024X}"


def sgtin96_hex(company_prefix: str, item_reference: str, serial: int,
                filter_value: int = 1) -> str:
    """SGTIN-96 (header 0x30): item_reference is indicator digit + item ref, 13 - len(cp) digits."""
    part = _partition(_SGTIN_PARTITIONS, company_prefix)
    cp_bits, cp_digits, item_bits = _SGTIN_PARTITIONS[part]
    if len(item_reference) != 13 - cp_digits:
        raise ValueError(f"item reference must have {13 - cp_digits} digits")
    if not 0 <= serial < 1 << 38:
        raise ValueError("serial must fit 38 bits")
    value = 0x30
    for field, bits in ((filter_value, 3), (part, 3),
                        (_digits(company_prefix, "company prefix"), cp_bits),
                        (_digits(item_reference, "item reference"), item_bits), (serial, 38)):
        value = (value << bits) | field
    return f"{value:024X}"


def is_epc96_hex(text: str) -> bool:
    """24 hex digits: the 96-bit EPC memory the emulator reports as EPC-96."""
    return len(text) == 24 and all(c in "0123456789abcdefABCDEF" for c in text)
