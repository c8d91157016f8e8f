"""The web pages (/map, /dashboard, /trace, /imports, /login) and their static assets under /web/.

Rule kept here: only files inside cloud_hub/web/static are ever served (no path escapes), and
pages carry no data: they fetch it with the signed-in user's token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, RedirectResponse

from cloud_hub.auth.api.access import public

STATIC = Path(__file__).resolve().parents[1] / "static"  # cloud_hub/web/static
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html",
               ".png": "image/png", ".svg": "image/svg+xml", ".json": "application/json"}
PAGES = {"map": "map.html", "dashboard": "dashboard.html", "trace": "trace.html",
         "login": "login.html", "imports": "imports.html"}
MAX_ASSET_CHARS = 200  # our assets are short relative paths; a longer one is none of them

router = APIRouter(include_in_schema=False)
Page = Annotated[None, public("pages and assets carry no data: they fetch it with the "
                             "signed-in user's token, through routes that check it")]


def _page(name: str) -> FileResponse:
    return FileResponse(STATIC / PAGES[name], media_type="text/html",
                        headers={"Cache-Control": "no-cache"})


@router.get("/map")
def map_page(_: Page) -> FileResponse:
    return _page("map")


@router.get("/dashboard")
def dashboard_page(_: Page) -> FileResponse:
    return _page("dashboard")


@router.get("/imports")
def imports_page(_: Page) -> FileResponse:
    """Managers import spreadsheets: a check (dry run) first, then the import."""
    return _page("imports")


@router.get("/trace")
def trace_page(_: Page) -> FileResponse:
    """A lot's, serial's or unit's trace as a timeline (data: GET /api/v1/trace, scoped)."""
    return _page("trace")


@router.get("/login")
def login_page(_: Page) -> FileResponse:
    return _page("login")


@router.get("/web/")
def web_root(_: Page) -> RedirectResponse:
    return RedirectResponse("/map")


def asset_path(relative: str) -> Path | None:
    """The file under STATIC that `relative` names, or None when it is outside or missing."""
    if len(relative) > MAX_ASSET_CHARS or "\x00" in relative:
        return None
    try:
        candidate = (STATIC / relative).resolve()
        if not candidate.is_relative_to(STATIC) or not candidate.is_file():
            return None
    except (OSError, ValueError, RuntimeError):  # a name too long, a NUL, a symlink loop
        return None
    return candidate


@router.get("/web/{relative:path}")
def asset(relative: str, _: Page) -> FileResponse:
    path = asset_path(relative)
    if path is None or path.suffix not in MEDIA_TYPES:
        raise HTTPException(status_code=404, detail="no such asset")
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix],
                        headers={"Cache-Control": "no-cache"})
