"""What the auth routes answer: a signed-in token, who the caller is, users, revocations."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from cloud_hub.http.bodies import Body


class TokenOut(Body):
    access_token: str = Field(description="send it as `Authorization: Bearer <token>`")
    token_type: str = "bearer"
    expires_at: datetime
    roles: list[str]
    username: str
    warehouses: list[str] = Field(description="['*']: every warehouse")


class MeOut(Body):
    name: str
    roles: list[str]
    kind: str = Field(examples=["user", "device"])
    warehouse: str | None = Field(description="a gateway's warehouse; null for a user")
    gateway: str | None = Field(description="a gateway's name; null for a user")
    warehouses: list[str] = Field(description="['*']: every warehouse")


class UserOut(Body):
    name: str
    roles: list[str]
    warehouses: list[str] = Field(description="'*': every warehouse (admins: always)")
    active: bool


class Revoked(Body):
    revoked_tokens: int = Field(description="how many live tokens were revoked")
