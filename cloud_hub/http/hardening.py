"""HTTP hardening around every route: security headers on every response, hostile paths
refused before routing, the API docs and /metrics exposed only as the settings say.

Rule kept here: our pages run no inline script or style (their Content-Security-Policy
forbids it), every response says nosniff, no framing and no referrer, and a path holding a
control character or longer than MAX_PATH_CHARS is a 400/414 problem, never a 500.
"""

from __future__ import annotations

import hmac

from fastapi import FastAPI, HTTPException, Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cloud_hub.http.deps import SettingsDep
from cloud_hub.http.problems import problem
from cloud_hub.settings import HubSettings

# CSP Level 3 (W3C): scripts, styles, data and sockets from our own origin only ('self'
# matches ws:/wss: to the same host, CSP3 §6.7.2.8), no plugins, no <base>, no framing.
PAGE_CSP = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    "connect-src 'self'", "font-src 'self'", "object-src 'none'", "base-uri 'none'",
    "form-action 'self'", "frame-ancestors 'none'"])
# FastAPI's /docs and /redoc load Swagger UI and ReDoc from a CDN and start them with an
# inline script: those two pages (only served when docs are on) get what they need.
CDN = "https://cdn.jsdelivr.net"
DOCS_CSP = "; ".join([
    "default-src 'self'", f"script-src 'self' 'unsafe-inline' {CDN}",
    f"style-src 'self' 'unsafe-inline' {CDN} https://fonts.googleapis.com",
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
    "font-src 'self' https://fonts.gstatic.com", "worker-src 'self' blob:",
    "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"])
HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
           "Cross-Origin-Opener-Policy": "same-origin"}
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
MAX_PATH_CHARS = 2048  # our longest route is a tenth of this


def docs_urls(settings: HubSettings) -> dict[str, str | None]:
    """FastAPI(...) arguments: the docs and the schema, or None for each when they are off."""
    on = settings.docs_on
    return {"docs_url": "/docs" if on else None, "redoc_url": "/redoc" if on else None,
            "openapi_url": "/openapi.json" if on else None}


def path_refusal(path: str) -> tuple[int, str] | None:
    """(status, detail) when the decoded request path is not one any route could want."""
    if len(path) > MAX_PATH_CHARS:
        return 414, f"the path has {len(path)} characters, more than {MAX_PATH_CHARS}"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in path):
        return 400, "the path holds a control character (such as %00)"
    return None


class HardeningMiddleware:
    """Pure ASGI (streamed bodies and WebSockets pass untouched): refuses hostile paths and
    adds the security headers to every HTTP response the app sends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"] in DOCS_PATHS else PAGE_CSP

        async def send_hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = csp
                for name, value in HEADERS.items():
                    headers[name] = value
            await send(message)

        refusal = path_refusal(scope["path"])
        if refusal is not None:
            status, detail = refusal
            title = "URI too long" if status == 414 else None
            await problem(status, detail, title=title)(scope, receive, send_hardened)
            return
        await self.app(scope, receive, send_hardened)


def metrics_access(request: Request, settings: SettingsDep) -> None:
    """A dependency of GET /metrics: the bearer HUB_METRICS_TOKEN when one is set; none
    needed in development; off (404) in production without one."""
    token = settings.metrics_token
    if token is None:
        if settings.environment == "production":
            raise HTTPException(404, "metrics are off: set HUB_METRICS_TOKEN to scrape them")
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
        raise HTTPException(401, "metrics need the header Authorization: Bearer "
                            "<HUB_METRICS_TOKEN>", headers={"WWW-Authenticate": "Bearer"})


def install(app: FastAPI) -> None:
    app.add_middleware(HardeningMiddleware)
