"""The LLRP codec's one error type and the LLRPStatus codes it reports (LLRP 1.0.1 §14.2.2)."""

from __future__ import annotations

from enum import IntEnum


class StatusCode(IntEnum):
    """LLRPStatus StatusCode values (LLRP 1.0.1 §14.2.2 "Error Codes")."""

    SUCCESS = 0
    PARAMETER_ERROR = 100
    FIELD_ERROR = 101
    UNEXPECTED_PARAMETER = 102
    MISSING_PARAMETER = 103
    DUPLICATE_PARAMETER = 104
    OVERFLOW_PARAMETER = 105
    OVERFLOW_FIELD = 106
    UNKNOWN_PARAMETER = 107
    UNKNOWN_FIELD = 108
    UNSUPPORTED_MESSAGE = 109
    UNSUPPORTED_VERSION = 110
    UNSUPPORTED_PARAMETER = 111
    P_PARAMETER_ERROR = 200
    P_FIELD_ERROR = 201
    P_UNEXPECTED_PARAMETER = 202
    P_MISSING_PARAMETER = 203
    P_DUPLICATE_PARAMETER = 204
    P_OVERFLOW_PARAMETER = 205
    P_OVERFLOW_FIELD = 206
    P_UNKNOWN_PARAMETER = 207
    P_UNKNOWN_FIELD = 208
    P_UNSUPPORTED_PARAMETER = 209
    A_INVALID = 300
    A_OUT_OF_RANGE = 301
    R_DEVICE_ERROR = 401


class LlrpError(ValueError):
    """Bytes that are not LLRP 1.0.1, or a message that cannot be encoded.

    `status` is the LLRPStatus code a reader would answer with.
    """

    def __init__(self, reason: str, status: StatusCode = StatusCode.PARAMETER_ERROR) -> None:
        self.reason = reason
        self.status = status
        super().__init__(reason)
