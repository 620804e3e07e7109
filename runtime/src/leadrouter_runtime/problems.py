"""Errors as RFC 9457 problem documents (``application/problem+json``), rendered in one place.

Domain errors subclass :class:`Problem` with their status and type; request
validation becomes 422 naming each offending field.
"""

from collections.abc import Callable, Coroutine
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from leadrouter_runtime.values import MAX_JSON_DEPTH, json_depth_within, loads, nul_paths

PROBLEM_MEDIA_TYPE = "application/problem+json"


class InvalidParam(BaseModel):
    name: str = Field(description="Dotted path of the field, e.g. `contact.email`.")
    reason: str


class ProblemDocument(BaseModel):
    """RFC 9457 problem details, as every error response of ours is shaped."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    invalid_params: list[InvalidParam] | None = Field(default=None, alias="invalid-params")


class Problem(Exception):  # noqa: N818  (it is a problem document, not a bare error)
    """An expected failure with an HTTP meaning. Subclass per condition."""

    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"
    type_uri: ClassVar[str] = "about:blank"

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        invalid_params: list["InvalidParam"] | None = None,
    ):
        super().__init__(detail or self.title)
        self.detail = detail
        self.headers = headers or {}
        self.invalid_params = invalid_params


class UnsupportedMediaType(Problem):
    status = 415
    title = "Unsupported media type"


class MalformedBody(Problem):
    status = 400
    title = "Malformed request body"


class InvalidBody(Problem):
    status = 422
    title = "Request body does not match the schema"


class NotFound(Problem):
    status = 404
    title = "Not found"


class ServiceUnavailable(Problem):
    status = 503
    title = "Service unavailable"


def problem_response(
    *,
    status: int,
    title: str,
    type_uri: str = "about:blank",
    detail: str | None = None,
    invalid_params: list[InvalidParam] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ProblemDocument(
        type=type_uri,
        title=title,
        status=status,
        detail=detail,
        **{"invalid-params": invalid_params},
    )
    return JSONResponse(
        body.model_dump(by_alias=True, exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def invalid_params_of(errors: Any) -> list[InvalidParam]:
    """Pydantic/FastAPI error list -> the fields named as dotted paths."""
    params = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body",)]
        params.append(InvalidParam(name=".".join(location) or "body", reason=error.get("msg", "")))
    return params


def check_json_body(body: bytes) -> None:
    """What FastAPI's parser would choke on, refused first: nesting deeper than
    ``MAX_JSON_DEPTH`` (400: its parser recurses) and NUL in any string (422)."""
    if not json_depth_within(body):
        raise MalformedBody(f"The JSON is nested deeper than {MAX_JSON_DEPTH} levels.")
    if b"\\u0000" not in body:
        return
    try:
        paths = nul_paths(loads(body))
    except ValueError:
        return  # not JSON: the parser says so (400)
    if paths:
        raise RequestValidationError(
            [{"loc": ("body", path), "msg": "must not contain NUL (U+0000)"} for path in paths]
        )


class JsonBodyRoute(APIRoute):
    """A route whose body must be JSON: anything else is 415 before parsing."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def json_only(request: Request) -> Response:
            media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if media_type != "application/json" and not media_type.endswith("+json"):
                raise UnsupportedMediaType(
                    f"Expected application/json, got {media_type or 'no content type'}."
                )
            check_json_body(await request.body())
            return await handler(request)

        return json_only


def problem_entry(description: str) -> dict[str, Any]:
    """A route's ``responses`` entry for an error it answers as a problem document."""
    return {
        "model": ProblemDocument,
        "content": {PROBLEM_MEDIA_TYPE: {}},
        "description": description,
    }


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: problem_entry("The body is not valid JSON"),
    415: problem_entry("The body is not JSON"),
    422: problem_entry("The body does not match the schema; `invalid-params` names each field"),
}
"""OpenAPI entries for the errors every JSON-body endpoint can answer."""


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(
            status=exc.status,
            title=exc.title,
            type_uri=exc.type_uri,
            detail=exc.detail,
            invalid_params=exc.invalid_params,
            headers=exc.headers,
        )

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = exc.errors()
        if any(error.get("type") == "json_invalid" for error in errors):
            return problem_response(
                status=MalformedBody.status,
                title=MalformedBody.title,
                detail="The body is not valid JSON: "
                + "; ".join(str(e.get("ctx", {}).get("error", e.get("msg"))) for e in errors),
            )
        params = invalid_params_of(errors)
        return problem_response(
            status=InvalidBody.status,
            title=InvalidBody.title,
            detail="; ".join(f"{p.name}: {p.reason}" for p in params),
            invalid_params=params,
        )

    async def on_http(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return problem_response(
            status=exc.status_code, title=str(exc.detail), headers=dict(exc.headers or {})
        )

    async def on_unexpected(_: Request, exc: Exception) -> JSONResponse:
        # A bug: logged with its traceback by the server; the caller gets a problem
        # document without one.
        return problem_response(
            status=500, title="Internal server error", detail="Something failed on our side."
        )

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(Exception, on_unexpected)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
