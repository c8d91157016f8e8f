"""POST /api/v1/imports/{kind} (a file, dry run or not), GET /api/v1/imports (the record),
GET /api/v1/imports/{kind}/template (CSV or XLSX).

Rule kept here: an upload is measured before it is read — a declared length over the cap is
refused at once (413), a body streamed without one is cut at the cap — and lands in a temporary
file, never whole in memory. Any error answers 422 (problem+json carrying the whole report)
and nothing is written; warehouse-bound kinds admit every warehouse their rows touch for the
caller (Access.admit) before anything is written.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from cloud_hub.auth.api.access import IN_QUERY, IN_ROWS, SHARED, Access, guard
from cloud_hub.auth.roles import Permission
from cloud_hub.http.deps import PoolDep
from cloud_hub.http.problems import problem
from cloud_hub.imports.api.schemas import ImportAnswer, ImportRecord
from cloud_hub.imports.kinds import KINDS
from cloud_hub.imports.pg.records import list_imports
from cloud_hub.imports.pg.run import ImportFile, run_import
from cloud_hub.imports.sheet import DEFAULT_MAX_BYTES, ENCODINGS
from cloud_hub.imports.templates import CSV_TYPE, XLSX_TYPE, csv_template, xlsx_template
from cloud_hub.ledger.api.deps import ApplyDep

router = APIRouter(prefix="/api/v1", tags=["imports"])
ImportKind = StrEnum("ImportKind", {k: k for k in KINDS})  # type: ignore[misc]
MULTIPART_SLACK = 64 * 1024  # the form's own bytes around the file
CHUNK = 1 << 20
UPLOAD_DOC: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary"}}}},
    "text/csv": {"schema": {"type": "string"}},
    XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}}}}


async def _receive(request: Request, into: Path, max_bytes: int, filename: str | None
                   ) -> tuple[Path, str]:
    """The uploaded file written to `into`, and its name: a multipart form's `file` part, or
    the raw body (CSV or XLSX bytes)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes + \
            MULTIPART_SLACK:
        raise HTTPException(413, f"the file is over {max_bytes / 1e6:.0f} MB: split it")
    path = into / "upload"
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        if declared is None:
            raise HTTPException(411, "a multipart upload must declare its Content-Length")
        async with request.form(max_files=1, max_fields=4) as form:  # closes its spooled files
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise HTTPException(422, "the form has no file: send it as the `file` part")
            with open(path, "wb") as out:
                while chunk := await upload.read(CHUNK):
                    out.write(chunk)
            return path, upload.filename or filename or "upload"
    size = 0
    with open(path, "wb") as out:
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                raise HTTPException(413, f"the file is over {max_bytes / 1e6:.0f} MB: split it")
            out.write(chunk)
    return path, filename or "upload"


@router.post("/imports/{kind}", response_model=ImportAnswer, openapi_extra=UPLOAD_DOC,
             responses={413: {"description": "the file is over the size cap"},
                        422: {"description": "errors (problem+json with the whole report as "
                                             "extension members): nothing was written"}})
async def import_file(kind: ImportKind, request: Request, pool: PoolDep, apply: ApplyDep,
                      access: Annotated[Access, guard(Permission.MANAGE_MASTER_DATA, IN_ROWS)],
                      dry_run: bool = False,
                      encoding: Annotated[str | None, Query(
                          description=f"a CSV's encoding: {', '.join(ENCODINGS)} (default: "
                                      "UTF-8 with or without a BOM, else GB18030)")] = None,
                      filename: Annotated[str | None, Query(max_length=255)] = None) -> Any:
    """Import a file of `kind` (XLSX or CSV) sent as multipart `file` or as the raw body. A dry
    run reports every row's fate and writes nothing; a real run writes all or nothing and is
    recorded (GET /api/v1/imports). Errors name the spreadsheet row (the header is row 1)."""
    if encoding is not None and encoding.lower() not in ENCODINGS:
        raise HTTPException(422, f"encoding must be one of {', '.join(ENCODINGS)}")
    spec = KINDS[kind.value]
    with tempfile.TemporaryDirectory(prefix="stockpulse-import-") as tmp:
        path, name = await _receive(request, Path(tmp), DEFAULT_MAX_BYTES, filename)
        job = ImportFile(spec.name, path, name, access.name, dry_run, encoding)
        admit = access.admit if spec.warehouse_bound else None
        report = await run_in_threadpool(_run, pool, apply, job, admit)
    body = report.detail()
    if report.errors:
        return problem(422, f"{len(report.errors)} error(s): nothing was written", **body)
    return JSONResponse(body)


def _run(pool: PoolDep, apply: ApplyDep, job: ImportFile, admit: Any) -> Any:
    with pool.connection() as conn:
        return run_import(conn, apply, job, datetime.now(UTC), admit)


@router.get("/imports", response_model=list[ImportRecord])
def imports_done(pool: PoolDep,
                 access: Annotated[Access, guard(Permission.MANAGE_MASTER_DATA, IN_QUERY)],
                 limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)
                 ) -> list[dict[str, Any]]:
    """Imports that wrote, newest first: who, when, the file's SHA-256, the kind, the counts;
    those that touched a warehouse outside the caller's are not listed."""
    scope = access.principal.scope
    allowed = None if scope.everything else sorted(scope.warehouses)
    with pool.connection() as conn:
        return list_imports(conn, access.warehouse, allowed, limit, offset)


@router.get("/imports/{kind}/template", response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}},
                                         XLSX_TYPE: {"schema": {"type": "string",
                                                                "format": "binary"}}}}})
def template(kind: ImportKind, _: Annotated[Access, guard(Permission.READ, SHARED)],
             format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "xlsx") -> Response:
    """The kind's template: its columns, an example row, and (XLSX) what each column holds."""
    spec = KINDS[kind.value]
    if format == "csv":
        body, media = csv_template(spec), CSV_TYPE
    else:
        body, media = xlsx_template(spec), XLSX_TYPE
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{spec.name}.{format}"'})
