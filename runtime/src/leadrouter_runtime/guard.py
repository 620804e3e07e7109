"""What every request of both services is checked for before any route sees it: a
body over the size limit (413, from ``Content-Length``) and NUL in the path or the
query string (422: no layer behind can store it, see ``leadrouter_runtime.values``)."""

from urllib.parse import parse_qsl, unquote

from starlette.types import ASGIApp, Receive, Scope, Send

from leadrouter_runtime.problems import InvalidParam, problem_response


class RequestGuard:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if (
            self.max_body_bytes is not None
            and declared.isdigit()
            and int(declared) > self.max_body_bytes
        ):
            response = problem_response(
                status=413,
                title="Payload too large",
                detail=f"The body is over {self.max_body_bytes} bytes.",
            )
            await response(scope, receive, send)
            return
        invalid = _nul_params(scope)
        if invalid:
            response = problem_response(
                status=422,
                title="Request does not match the schema",
                detail="; ".join(f"{p.name}: {p.reason}" for p in invalid),
                invalid_params=invalid,
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


_NUL = "must not contain NUL (U+0000)"


def _nul_params(scope: Scope) -> list[InvalidParam]:
    invalid = []
    raw_path = scope.get("raw_path") or scope.get("path", "").encode()
    if "\x00" in unquote(raw_path.decode("latin-1")) or "\x00" in scope.get("path", ""):
        invalid.append(InvalidParam(name="path", reason=_NUL))
    query = scope.get("query_string", b"").decode("latin-1")
    if "%00" in query or "\x00" in query:
        for name, value in parse_qsl(query, keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                invalid.append(InvalidParam(name=name.replace("\x00", "\\u0000"), reason=_NUL))
    return invalid
