"""Errors as application/problem+json (RFC 9457): a title, a status and a clear detail.

Rule kept here: bad input is a 4xx that says what was wrong; a 500 only for our own faults.
"""

from __future__ import annotations

import logging

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from protocol.codec import describe
from protocol.errors import ContractError

log = logging.getLogger("stockpulse.hub")
TITLES = {400: "Bad request", 401: "Not signed in", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 409: "Conflict", 413: "Payload too large",
          415: "Unsupported media type", 422: "Invalid input", 429: "Too many requests",
          503: "Unavailable"}


def problem(status: int, detail: str, title: str | None = None,
            headers: dict[str, str] | None = None, **extra: object) -> JSONResponse:
    body = {"type": "about:blank", "title": title or TITLES.get(status, "Error"),
            "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, headers=headers,
                        media_type="application/problem+json")


def _validation_detail(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {str(err.get('msg', 'invalid')).removeprefix('Value error, ')}")
    return "; ".join(parts)


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(422, _validation_detail(exc))

    @app.exception_handler(ContractError)
    async def contract_error(_: Request, exc: ContractError) -> JSONResponse:
        return problem(422, str(exc), title="Not a valid StockPulse message")

    @app.exception_handler(ValidationError)
    async def model_error(_: Request, exc: ValidationError) -> JSONResponse:
        # A model built inside a route from the caller's values refused them: bad input.
        return problem(422, describe(exc))

    @app.exception_handler(psycopg.DataError)
    async def data_error(_: Request, exc: psycopg.DataError) -> JSONResponse:
        return problem(422, f"value not accepted by the database: {exc.diag.message_primary}")

    @app.exception_handler(psycopg.IntegrityError)
    async def integrity_error(_: Request, exc: psycopg.IntegrityError) -> JSONResponse:
        return problem(409, f"conflicts with existing data: {exc.diag.message_primary}")

    @app.exception_handler(psycopg.errors.QueryCanceled)
    async def too_long(_: Request, exc: psycopg.errors.QueryCanceled) -> JSONResponse:
        # statement_timeout (HUB_API_STATEMENT_TIMEOUT_MS) cut it: the hub is fine, the
        # question was too big or waited too long for a lock.
        log.warning("query cancelled: %s", exc.diag.message_primary)
        return problem(503, "the query took longer than the hub allows "
                            "(HUB_API_STATEMENT_TIMEOUT_MS); narrow it or retry",
                       headers={"Retry-After": "5"})

    @app.exception_handler(psycopg.OperationalError)
    async def db_down(_: Request, exc: psycopg.OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", exc)
        return problem(503, "the ledger database is not reachable; retry shortly",
                       headers={"Retry-After": "2"})
