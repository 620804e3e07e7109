"""How an endpoint is declared: the scope it needs, the answers it documents.

``ScopedRouter`` adds one decorator per kind of operation to FastAPI's router, each with
the scope that kind needs and the problem answers it can give, so that every operation
names its 401 and 403 (and its body's 400/415/422) in OpenAPI the same way::

    router = ScopedRouter(prefix="/v1/accounts", tags=["accounts"], route_class=ResourceRoute)

    @router.read("/{account_id}", "One account", NOT_FOUND)
    async def get_account(account: Account) -> AccountOut: ...

``ResourceRoute``: bodies (POST, PUT, PATCH) must be JSON, other methods carry none and
are not checked.
"""

from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.routing import APIRoute
from fastapi.types import DecoratedCallable

from leadrouter_router.platform.auth import AUTH_RESPONSES, Scope, require
from leadrouter_runtime.problems import PROBLEM_RESPONSES, JsonBodyRoute

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

Answers = Mapping[int | str, dict[str, Any]]


class ResourceRoute(JsonBodyRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        json_only = super().get_route_handler()
        plain = APIRoute.get_route_handler(self)

        async def handler(request: Request) -> Response:
            if request.method in BODY_METHODS:
                return await json_only(request)
            return await plain(request)

        return handler


class ScopedRouter(APIRouter):
    def operation(
        self,
        method: str,
        path: str,
        summary: str,
        *problems: Answers,
        scope: Scope | None,
        **options: Any,
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """``method`` on ``path``, for a key of ``scope`` (None: the endpoint asks for its
        caller itself), documenting the key's problems and then ``problems``."""
        responses: dict[int | str, dict[str, Any]] = dict(AUTH_RESPONSES)
        for answers in problems:
            responses.update(answers)
        if scope is not None:
            options["dependencies"] = [Depends(require(scope))]
        return self.api_route(
            path, methods=[method], responses=responses, summary=summary, **options
        )

    def read(
        self, path: str, summary: str, *problems: Answers
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """GET, read scope."""
        return self.operation("GET", path, summary, *problems, scope="read")

    def add(
        self, path: str, summary: str, *problems: Answers
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """POST of a JSON body that creates: 201, admin scope."""
        return self.operation(
            "POST", path, summary, PROBLEM_RESPONSES, *problems, scope="admin", status_code=201
        )

    def replace(
        self, path: str, summary: str, *problems: Answers
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """PUT of a JSON body, admin scope."""
        return self.operation("PUT", path, summary, PROBLEM_RESPONSES, *problems, scope="admin")

    def change(
        self, path: str, summary: str, *problems: Answers
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """PATCH of a JSON body, admin scope."""
        return self.operation("PATCH", path, summary, PROBLEM_RESPONSES, *problems, scope="admin")

    def remove(
        self, path: str, summary: str, *problems: Answers
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """DELETE answering 204 without a body, admin scope."""
        return self.operation(
            "DELETE",
            path,
            summary,
            *problems,
            scope="admin",
            status_code=204,
            response_class=Response,
        )


def no_content() -> Response:
    """The answer of a ``remove``."""
    return Response(status_code=204)
