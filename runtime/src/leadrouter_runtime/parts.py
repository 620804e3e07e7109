"""The running app's parts, found by their type: the one way endpoints and their
dependencies reach what ``create_app`` and the lifespan built, from whatever package
they are in (a package low in the imports cannot name the app's container, which
names every package). ``part(request, OpsKafka)`` is typed as an ``OpsKafka``.
"""

from typing import TypeVar

from starlette.applications import Starlette
from starlette.requests import HTTPConnection

T = TypeVar("T")


class NotProvidedError(LookupError):
    """The app has no such part (a bug of the assembly, or the lifespan has not run)."""


class Parts:
    def __init__(self) -> None:
        self._by_type: dict[type, object] = {}

    def provide(self, *parts: object) -> None:
        """Make each of ``parts`` found by its own class (one of each class)."""
        for each in parts:
            self._by_type[type(each)] = each

    def get(self, kind: type[T]) -> T:
        found = self._by_type.get(kind)
        if not isinstance(found, kind):
            raise NotProvidedError(f"the app provides no {kind.__name__} (has it started?)")
        return found


def parts_of(app: Starlette) -> Parts:
    """The app's parts (made empty on first use)."""
    found = getattr(app.state, "parts", None)
    if not isinstance(found, Parts):
        found = app.state.parts = Parts()
    return found


def part(connection: HTTPConnection, kind: type[T]) -> T:
    """The request's app's ``kind``."""
    return parts_of(connection.app).get(kind)
