"""HubClient: the PDA's httpx client for the hub's REST API (auth, tasks, look-up).

Rule kept here: httpx errors never escape; the caller sees HubUnreachable (try later: network
down, timeout, 5xx), SignInRequired (401) or HubRefused (any other 4xx, with the hub's detail).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from protocol.tasks import (
    ClaimRequest,
    ConfirmationResult,
    StepConfirmation,
    Task,
    TaskPage,
)

API = "/api/v1"
M = TypeVar("M", bound=BaseModel)


class HubError(Exception):
    """Anything that went wrong talking to the hub."""


class HubUnreachable(HubError):
    """No answer, or the hub is failing (5xx): keep the work and try again later."""


class SignInRequired(HubError):
    """The token is missing, unknown or expired: the picker must sign in again."""


class HubRefused(HubError):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"hub refused ({status}): {detail}")
        self.status, self.detail = status, detail


@dataclass(frozen=True, slots=True)
class Session:
    username: str
    token: str
    roles: tuple[str, ...]
    expires_at: str


class HubClient:
    def __init__(self, base_url: str, *, timeout: float = 5.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token: str | None = None
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    # --- auth ----------------------------------------------------------------------------
    def sign_in(self, username: str, password: str) -> Session:
        body = self._call("POST", "/auth/token", json={"username": username, "password": password},
                          auth=False)
        try:
            session = Session(str(body["username"]), str(body["access_token"]),
                              tuple(body.get("roles", ())), str(body.get("expires_at", "")))
        except (KeyError, TypeError) as exc:
            raise HubRefused(200, f"sign-in answer not understood: {exc}") from None
        self.token = session.token
        return session

    # --- tasks ---------------------------------------------------------------------------
    def tasks(self, warehouse: str, *, kind: str | None = None, state: str | None = None,
              assignee: str | None = None, limit: int = 100) -> list[Task]:
        params = _params(warehouse=warehouse, kind=kind, state=state, assignee=assignee,
                         limit=limit)
        page = _model(TaskPage, self._call("GET", "/tasks", params=params))
        return list(page.tasks)

    def next_task(self, warehouse: str, kind: str | None = None) -> Task | None:
        body = self._call("GET", "/tasks/next", params=_params(warehouse=warehouse, kind=kind))
        return None if body is None else _model(Task, body)

    def task(self, task_id: str) -> Task:
        return _model(Task, self._call("GET", f"/tasks/{task_id}"))

    def claim(self, task_id: str, device_id: str) -> Task:
        body = ClaimRequest(device_id=device_id).model_dump(mode="json")
        return _model(Task, self._call("POST", f"/tasks/{task_id}/claim", json=body))

    def confirm(self, conf: StepConfirmation) -> ConfirmationResult:
        answer = self.post_raw(confirm_path(conf), conf.model_dump_json())
        return _model(ConfirmationResult, answer)

    def post_raw(self, path: str, body: str) -> Any:
        """POST a stored JSON body as it was queued (the offline queue replays these)."""
        return self._call("POST", path.removeprefix(API), content=body,
                          headers={"Content-Type": "application/json"})

    # --- look-up -------------------------------------------------------------------------
    def get_json(self, path: str, params: Mapping[str, str] | None = None) -> tuple[int, Any]:
        """Status and body of a read, for look-up (404 is an answer there, not an error)."""
        try:
            return 200, self._call("GET", path.removeprefix(API), params=dict(params or {}))
        except HubRefused as refused:
            return refused.status, None

    def healthy(self) -> bool:
        try:
            return self._http.get("/healthz").status_code == 200
        except httpx.HTTPError:
            return False

    # --- inside --------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, auth: bool = True, **kw: Any) -> Any:
        headers = dict(kw.pop("headers", {}) or {})
        if auth and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = self._http.request(method, API + path, headers=headers, **kw)
        except httpx.HTTPError as exc:
            raise HubUnreachable(f"hub unreachable: {type(exc).__name__}: {exc}") from None
        if response.status_code >= 500:
            raise HubUnreachable(f"hub failing: HTTP {response.status_code}")
        if response.status_code == 401:
            raise SignInRequired(_detail(response))
        if response.status_code >= 400:
            raise HubRefused(response.status_code, _detail(response))
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise HubRefused(response.status_code, "answer is not JSON") from None


def confirm_path(conf: StepConfirmation) -> str:
    return f"{API}/tasks/{conf.task_id}/steps/{conf.step_id}/confirm"


def _params(**values: object) -> dict[str, str]:
    return {k: str(v) for k, v in values.items() if v is not None}


def _model(cls: type[M], body: Any) -> M:
    try:
        return cls.model_validate(body)
    except ValidationError as exc:
        raise HubRefused(200, f"answer is not a {cls.__name__}: {exc.error_count()} errors") \
            from None


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or f"HTTP {response.status_code}"
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("title") or body)[:300]
    return str(body)[:300]
