"""The webhook routes' class: every answer counted and timed by source and status."""

import time
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from leadrouter_runtime.parts import part
from leadrouter_runtime.problems import Problem
from leadrouter_scorer.webhooks import registry
from leadrouter_scorer.webhooks.gateway import WebhookGateway
from leadrouter_scorer.webhooks.limits import UNAUTHENTIC_STATUSES, IntakeLimits


def webhook_gateway(request: Request) -> WebhookGateway:
    """A plain function, not a dependency: FastAPI runs a synchronous dependency in a
    worker thread, a hop per request on the hot path (#15)."""
    return part(request, WebhookGateway)


def intake_limits(request: Request) -> IntakeLimits:
    return part(request, IntakeLimits)


async def _limited(
    handler: Callable[[Request], Coroutine[Any, Any, Response]],
    request: Request,
    limits: IntakeLimits,
    source: str,
) -> Response:
    """The handler's answer; a refusal for want of authentication becomes 429 once the
    source's unauthenticated budget is spent."""
    try:
        return await handler(request)
    except Exception as error:
        if _status_of(error) in UNAUTHENTIC_STATUSES:
            too_many = limits.unauthentic(source)
            if too_many is not None:
                raise too_many from error
        raise


def _status_of(error: Exception) -> int:
    if isinstance(error, Problem):
        return error.status
    if isinstance(error, RequestValidationError):
        invalid_json = any(e.get("type") == "json_invalid" for e in error.errors())
        return 400 if invalid_json else 422
    if isinstance(error, HTTPException):
        return error.status_code
    return 500


class WebhookRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        last = self.path_format.rsplit("/", 1)[-1]
        # Unknown sources share one label: a label per path would be unbounded.
        source = last if last in registry.adapters() else "unknown"

        async def observed(request: Request) -> Response:
            metrics = webhook_gateway(request).metrics
            limits = intake_limits(request)
            started = time.perf_counter()
            status = 500
            try:
                with limits.slot():
                    response = await _limited(handler, request, limits, source)
                status = response.status_code
                return response
            except Exception as error:
                status = _status_of(error)
                raise
            finally:
                metrics.observe(source=source, status=status, seconds=time.perf_counter() - started)

        return observed
