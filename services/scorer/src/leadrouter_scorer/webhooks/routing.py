"""The webhook routes' classes: every answer counted and timed by source and status;
the platforms' POST routes called with their parameters read straight from the request."""

import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.params import Header
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from leadrouter_runtime.parts import part
from leadrouter_runtime.problems import Problem
from leadrouter_scorer.webhooks import registry
from leadrouter_scorer.webhooks.gateway import WebhookGateway
from leadrouter_scorer.webhooks.limits import UNAUTHENTIC_STATUSES, IntakeLimits

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def webhook_gateway(request: Request) -> WebhookGateway:
    """A plain function, not a dependency: FastAPI runs a synchronous dependency in a
    worker thread, a hop per request on the hot path (#15)."""
    return part(request, WebhookGateway)


def intake_limits(request: Request) -> IntakeLimits:
    return part(request, IntakeLimits)


async def _limited(
    handler: Handler,
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
    def get_route_handler(self) -> Handler:
        handler = self.endpoint_handler()
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

    def endpoint_handler(self) -> Handler:
        """FastAPI's handler of the endpoint: its parameters solved and its answer
        validated against the response model."""
        return super().get_route_handler()


@dataclass(frozen=True, slots=True)
class _Parameter:
    """A query or header parameter as the route declared it (FastAPI's field)."""

    name: str
    key: str  # the query parameter's or the header's name
    in_header: bool
    field: Any  # fastapi's ModelField: its validator, as FastAPI's own handler uses it

    @property
    def loc(self) -> tuple[str, str]:
        return ("header" if self.in_header else "query", self.key)


class ReceiverRoute(WebhookRoute):
    """A platform's POST: the endpoint takes the request and optional query and header
    parameters, and answers a ``Response`` itself. FastAPI's handler solves the
    parameters as a dependency tree and validates the answer again, per request: about
    half of the intake's CPU on the generic webhook (#15). Here each parameter is read
    and validated by the same field FastAPI builds (the same 422 ``loc`` and message;
    the OpenAPI document is FastAPI's, from the same signature)."""

    def endpoint_handler(self) -> Handler:
        dependant = self.dependant
        unsupported = (
            dependant.path_params,
            dependant.cookie_params,
            dependant.body_params,
            dependant.dependencies,
        )
        if any(unsupported) or dependant.request_param_name is None:
            raise TypeError(f"{self.path}: a receiver takes the request, queries and headers")
        parameters = [
            _Parameter(
                name=field.name,
                key=field.alias,
                in_header=isinstance(field.field_info, Header),
                field=field,
            )
            for field in (*dependant.query_params, *dependant.header_params)
        ]
        if any(p.field.field_info.is_required() or p.field.default is not None for p in parameters):
            raise TypeError(f"{self.path}: a receiver's parameters are optional (None)")
        endpoint: Callable[..., Coroutine[Any, Any, Response]] = self.endpoint

        async def handle(request: Request) -> Response:
            query = request.query_params
            headers = request.headers
            values: dict[str, Any] = {}
            errors: list[Any] = []
            for parameter in parameters:
                given = (headers if parameter.in_header else query).get(parameter.key)
                if given is None:
                    values[parameter.name] = None
                    continue
                value, problems = parameter.field.validate(given, values, loc=parameter.loc)
                if problems:
                    errors.extend(problems)
                else:
                    values[parameter.name] = value
            if errors:
                raise RequestValidationError(errors)
            return await endpoint(request, **values)

        return handle
