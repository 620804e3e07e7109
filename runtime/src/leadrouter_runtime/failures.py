"""Why a record could not be processed, said without repeating the record.

Dead-letter headers travel wherever the dead letter goes (the ops page, the CLI,
another team's tools), so they name an error by its type and where it is: the
pydantic error type and field path (a dict key from the input shows as ``*``), the
JSON position, or the line of code. Never the exception's message, which for
pydantic and most libraries quotes the input (personal data in a header).
"""

import re
import traceback
import types
import typing
from dataclasses import dataclass
from functools import cache
from typing import Final

from pydantic import BaseModel, ValidationError

NO_LOCATION: Final = "-"
MAX_ERRORS_NAMED: Final = 5
_JSON_POSITION = re.compile(r"line \d+ column \d+")
_OWN_PACKAGES: Final = ("leadrouter_",)


@dataclass(frozen=True, slots=True)
class Failure:
    """``error_type``: what kind of error; ``location``: where; ``reason``: both, for people."""

    error_type: str
    location: str
    reason: str


@cache
def field_names(model: type[BaseModel]) -> frozenset[str]:
    """Every field name of ``model`` and of the models nested in it."""
    names: set[str] = set()
    seen: set[type[BaseModel]] = set()
    todo: list[type[BaseModel]] = [model]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for name, info in current.model_fields.items():
            names.add(name)
            todo.extend(_models_in(info.annotation))
    return frozenset(names)


def _models_in(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def model_name(model: type[BaseModel]) -> str:
    """``LeadScored v1`` for an event model, the class name otherwise."""
    version = model.model_fields.get("schema_version")
    return f"{model.__name__} v{version.default}" if version else model.__name__


def _path(loc: tuple[int | str, ...], known: frozenset[str]) -> str:
    parts = [str(p) if isinstance(p, int) or p in known else "*" for p in loc]
    return ".".join(parts) or NO_LOCATION


def invalid(error: ValidationError, *, model: type[BaseModel], expected: str) -> Failure:
    """A value that is not a ``model``: each error's type and field path."""
    known = field_names(model)
    named = []
    for detail in error.errors(include_url=False, include_input=False, include_context=False):
        location = _path(tuple(detail["loc"]), known)
        if detail["type"] == "json_invalid":
            found = _JSON_POSITION.search(detail["msg"])
            location = found.group(0) if found else NO_LOCATION
        named.append((detail["type"], location))
    if not named:  # pydantic always gives one; be safe anyway
        named.append(("ValidationError", NO_LOCATION))
    listed = "; ".join(f"{kind} at {where}" for kind, where in named[:MAX_ERRORS_NAMED])
    more = len(named) - MAX_ERRORS_NAMED
    reason = f"not a {expected}: {listed}" + (f" (and {more} more)" if more > 0 else "")
    return Failure(error_type=named[0][0], location=named[0][1], reason=reason)


def tombstone(*, expected: str) -> Failure:
    """A record with no value where an event was expected."""
    return Failure("tombstone", NO_LOCATION, f"not a {expected}: empty value (tombstone)")


def crashed(error: BaseException, *, doing: str) -> Failure:
    """An exception our code raised while ``doing`` something with a valid value:
    its class and the innermost line of our own code that it passed through."""
    kind = type(error)
    error_type = kind.__name__ if kind.__module__ == "builtins" else kind.__qualname__
    location = _code_location(error.__traceback__)
    return Failure(error_type, location, f"{doing} failed: {error_type} at {location}")


def _code_location(tb: types.TracebackType | None) -> str:
    where = NO_LOCATION
    for frame, line in traceback.walk_tb(tb):
        module = frame.f_globals.get("__name__", "")
        if module.startswith(_OWN_PACKAGES):
            where = f"{module}:{line}"
    return where
