"""Get or 404: the one way an endpoint turns "no such row" into a problem+json 404.

``found`` checks a value already loaded; ``get_or_404`` makes the FastAPI dependency
that loads a resource by its path parameter, so an endpoint receives the row itself::

    Account = Annotated[AccountRow, Depends(get_or_404(repository.get, "account_id",
                                                       uuid.UUID, "No account {}."))]
"""

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.state import Session
from leadrouter_runtime.problems import NotFound

K = TypeVar("K")
T = TypeVar("T")


def found(value: T | None, missing: str) -> T:
    """The value, or the 404 whose detail is ``missing``."""
    if value is None:
        raise NotFound(missing)
    return value


def get_or_404(
    load: Callable[[AsyncSession, K], Awaitable[T | None]],
    param: str,
    kind: Any,
    missing: str,
) -> Callable[..., Awaitable[T]]:
    """A dependency: ``load(session, <path parameter param>)``, or the 404 whose detail is
    ``missing`` with the parameter's value in its ``{}``. ``kind`` is the parameter's
    annotation (a type, or an ``Annotated`` with its ``Path`` constraints), as an
    endpoint would declare it; the request's session is the endpoint's own."""

    async def dependency(session: AsyncSession, **path: K) -> T:
        key = path[param]
        return found(await load(session, key), missing.format(key))

    # FastAPI reads the parameters from the signature: the path parameter by its name.
    dependency.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("session", inspect.Parameter.KEYWORD_ONLY, annotation=Session),
            inspect.Parameter(param, inspect.Parameter.KEYWORD_ONLY, annotation=kind),
        ]
    )
    return dependency
