"""The services cloud_hub.main builds at start-up, handed to routes as typed dependencies.

Rule kept here: only the composition root provides a service, once, before the app serves; a
route asks for one through a `Slot` (a typed key defined next to what uses it, e.g.
`LiveDep = Annotated[LiveHub, Depends(LIVE.dependency)]`) and gets that object — or a loud
error naming what nobody provided. Nothing is built on first use, and no route looks a
service up on the app by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from starlette.requests import HTTPConnection

T = TypeVar("T")
STATE_KEY = "services"  # the lifespan-state entry (Starlette copies it into every request)


class NotProvided(LookupError):
    """A route asked for a service the composition root did not provide."""


@dataclass(frozen=True, eq=False)
class Slot(Generic[T]):
    """A typed key for one service. `slot.dependency` is what `Depends()` takes."""

    name: str

    def dependency(self, connection: HTTPConnection) -> T:
        return services_of(connection).get(self)


class Services:
    """What the composition root built, by slot; filled before the app serves."""

    def __init__(self) -> None:
        self._provided: dict[Slot[Any], object] = {}

    def provide(self, slot: Slot[T], value: T) -> None:
        if slot in self._provided:
            raise ValueError(f"{slot.name} is provided twice")
        self._provided[slot] = value

    def get(self, slot: Slot[T]) -> T:
        try:
            return cast(T, self._provided[slot])
        except KeyError:
            raise NotProvided(f"no {slot.name}: cloud_hub.main provides it at start-up") from None

    def lifespan_state(self) -> dict[str, Services]:
        """What the app's lifespan yields, so every request (and socket) can reach us."""
        return {STATE_KEY: self}


def services_of(connection: HTTPConnection) -> Services:
    services = connection.scope.get("state", {}).get(STATE_KEY)
    if not isinstance(services, Services):
        raise NotProvided("the hub's services are not there: the app was served without "
                          "its lifespan (cloud_hub.main.create_app builds them at start-up)")
    return services
