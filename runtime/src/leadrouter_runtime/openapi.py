"""Every error a service can answer, documented in its OpenAPI document as what it is:
``application/problem+json`` with the ``ProblemDocument`` schema.

FastAPI documents only the 422 of its own validation, as ``application/json`` with a
schema we never send; the checks that run before a route (media type, size, JSON depth,
NUL, see ``leadrouter_runtime.guard``) it does not know. This fills both in, in one place.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from leadrouter_runtime.problems import PROBLEM_MEDIA_TYPE, ProblemDocument

PROBLEM_REF = {"$ref": "#/components/schemas/ProblemDocument"}
_FASTAPI_VALIDATION = "#/components/schemas/HTTPValidationError"

BODY_PROBLEMS: Mapping[str, str] = {
    "400": "The body is not valid JSON, or nested deeper than 64 levels",
    "413": "The body is over the size limit",
    "415": "The body is not JSON",
    "422": "The request does not match the schema (a NUL character included); "
    "`invalid-params` names each field",
}
PARAMETER_PROBLEMS: Mapping[str, str] = {
    "422": "A parameter does not match the schema (a NUL character included); "
    "`invalid-params` names each one",
}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}}


def _is_fastapi_validation(response: Mapping[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref") == _FASTAPI_VALIDATION)


def document_problems(
    openapi: dict[str, Any],
    *,
    body_problems: Iterable[str] = ("400", "413", "415", "422"),
) -> dict[str, Any]:
    """``openapi`` with every operation's error answers as problem documents: FastAPI's
    422 replaced, and the answers of the checks before the route added."""
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    problem = ProblemDocument.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in problem.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    schemas.setdefault("ProblemDocument", problem)
    wanted_body = {status: BODY_PROBLEMS[status] for status in body_problems}
    for item in openapi.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses: dict[str, Any] = operation["responses"]
            for status, response in list(responses.items()):
                if _is_fastapi_validation(response):
                    responses[status] = _problem(PARAMETER_PROBLEMS["422"])
            wanted = dict(PARAMETER_PROBLEMS) if operation.get("parameters") else {}
            if "requestBody" in operation:
                wanted |= wanted_body
            for status, description in wanted.items():
                responses.setdefault(status, _problem(description))
            for status, response in responses.items():
                content = response.get("content", {})
                if status[:1] in "45" and PROBLEM_MEDIA_TYPE in content:
                    # FastAPI puts a response's model under the route's media type too.
                    for other in [media for media in content if media != PROBLEM_MEDIA_TYPE]:
                        del content[other]
                    content[PROBLEM_MEDIA_TYPE].setdefault("schema", PROBLEM_REF)
    if _FASTAPI_VALIDATION not in str(openapi.get("paths")):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    return openapi


def add_problems(openapi: dict[str, Any], *, under: str, problems: Mapping[str, str]) -> None:
    """Document ``problems`` (status -> description) on every operation whose path
    starts with ``under``, where not documented already."""
    for path, item in openapi.get("paths", {}).items():
        if not path.startswith(under):
            continue
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                for status, description in problems.items():
                    operation["responses"].setdefault(status, _problem(description))
