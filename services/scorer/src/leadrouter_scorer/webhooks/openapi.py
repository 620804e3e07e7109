"""OpenAPI entries of the webhook routes: every answer they can give, and the body
they read (declared here because the routes read the raw bytes themselves)."""

from typing import Any

from pydantic import BaseModel

from leadrouter_runtime.problems import problem_entry

RESPONSES: dict[int | str, dict[str, Any]] = {
    400: problem_entry("The body is unreadable: not JSON, or not a URL-encoded form"),
    401: problem_entry("The signature, key or token is missing or does not match"),
    403: problem_entry("The verification token does not match"),
    404: problem_entry("No webhook source of this name"),
    413: problem_entry("The body is over the size limit"),
    415: problem_entry("The content type is not the one this platform sends"),
    422: problem_entry("The payload does not match its schema; `invalid-params` names each field"),
    429: problem_entry(
        "Too many requests that failed authentication (or over an optional per-source "
        "cap); `Retry-After` says when to retry"
    ),
    503: problem_entry(
        "Saturated (as many requests in flight as the process takes), or Kafka (or the "
        "Graph API) did not answer; nothing was stored: send it again after `Retry-After`"
    ),
}
RESPONSES_POST: dict[int | str, dict[str, Any]] = {
    status: RESPONSES[status] for status in (400, 401, 413, 415, 422, 429, 503)
}
EVERY_ROUTE: dict[str, str] = {
    "429": "Too many requests that failed authentication; `Retry-After` says when to retry",
    "503": "Saturated: as many requests in flight as the process takes; retry after `Retry-After`",
}
"""What any webhook route may answer, whatever its method (see ``webhooks.limits``)."""


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    """``$ref``s to ``$defs`` replaced by their content (they are not in the components)."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(item, defs) for item in schema]
    return schema


def request_body(
    media_types: frozenset[str], model: type[BaseModel] | None = None
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object"}
    if model is not None:
        full = model.model_json_schema()
        schema = _inline(full, full.get("$defs", {}))
    return {
        "requestBody": {
            "required": True,
            "content": {media_type: {"schema": schema} for media_type in sorted(media_types)},
        }
    }
