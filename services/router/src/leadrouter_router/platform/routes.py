"""A route class for resources: bodies (POST, PUT, PATCH) must be JSON, other methods
carry none and are not checked."""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from leadrouter_runtime.problems import JsonBodyRoute

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class ResourceRoute(JsonBodyRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        json_only = super().get_route_handler()
        plain = APIRoute.get_route_handler(self)

        async def handler(request: Request) -> Response:
            if request.method in BODY_METHODS:
                return await json_only(request)
            return await plain(request)

        return handler
