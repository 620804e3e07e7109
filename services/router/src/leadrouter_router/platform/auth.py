"""API keys with scopes. Keys come from settings as secrets; only their SHA-256 digests
are kept, and a presented key is compared with every digest in constant time
(``hmac.compare_digest``) so that timing says nothing about how close a guess came.

Scopes nest: ``admin`` may do everything, ``crm`` may read and call back, ``read``
may only read. Without a key the answer is 401, with a key outside the scope 403.
"""

import hashlib
import hmac
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Request, Security
from fastapi.security import APIKeyHeader

from leadrouter_runtime.parts import part
from leadrouter_runtime.problems import Problem
from leadrouter_runtime.problems import problem_entry as problem_entry

Scope = Literal["admin", "crm", "read"]
GRANTS: dict[str, frozenset[str]] = {
    "admin": frozenset({"admin", "crm", "read"}),
    "crm": frozenset({"crm", "read"}),
    "read": frozenset({"read"}),
}


class Unauthorized(Problem):
    status = 401
    title = "Missing or unknown API key"


class Forbidden(Problem):
    status = 403
    title = "The API key's scope does not allow this"


@dataclass(frozen=True, slots=True)
class Caller:
    name: str
    scope: str


@dataclass(frozen=True, slots=True)
class _Key:
    digest: bytes
    caller: Caller


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


class ApiKeys:
    def __init__(self, keys: Sequence[tuple[str, str, str]]) -> None:
        """``keys``: (holder's name, the key, its scope)."""
        self._keys = tuple(_Key(_digest(key), Caller(name, scope)) for name, key, scope in keys)

    @property
    def open_for_reading(self) -> bool:
        """No key configured: local use, reading without a key is allowed."""
        return not self._keys

    def caller(self, presented: str) -> Caller | None:
        digest = _digest(presented)
        found: Caller | None = None
        for key in self._keys:  # every key is compared: no early exit
            if hmac.compare_digest(digest, key.digest) and found is None:
                found = key.caller
        return found


_api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key; `Authorization: Bearer` works too."
)


def require(scope: Scope) -> Callable[..., Awaitable[Caller]]:
    """A dependency that lets the request through only with a key of ``scope`` (or wider)."""

    async def authorised(
        request: Request, api_key: str | None = Security(_api_key_header)
    ) -> Caller:
        keys = part(request, ApiKeys)
        presented = api_key
        if presented is None:
            authorization = request.headers.get("authorization", "")
            if authorization[:7].lower() == "bearer ":
                presented = authorization[7:].strip()
        if not presented:
            if scope == "read" and keys.open_for_reading:
                return Caller("anonymous", "read")
            raise Unauthorized(
                "Send an API key in X-API-Key (or Authorization: Bearer).",
                headers={"WWW-Authenticate": 'Bearer realm="leadrouter"'},
            )
        caller = keys.caller(presented)
        if caller is None:
            raise Unauthorized(
                "The API key is not known.",
                headers={"WWW-Authenticate": 'Bearer realm="leadrouter"'},
            )
        if scope not in GRANTS[caller.scope]:
            raise Forbidden(f"This needs the {scope} scope; the key has {caller.scope}.")
        return caller

    return authorised


AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: problem_entry("No API key, or an unknown one"),
    403: problem_entry("The key's scope does not allow this"),
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: problem_entry("No such resource")}
CONFLICT: dict[int | str, dict[str, Any]] = {409: problem_entry("It conflicts with what exists")}
