"""``GET /v1/config`` exports the routing set-up as YAML; ``PUT /v1/config`` imports one."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Query, Request, Response

from leadrouter_router.config import service
from leadrouter_router.config.schemas import ImportResult, SetupDocument
from leadrouter_router.platform.auth import problem_entry
from leadrouter_router.platform.routes import ScopedRouter
from leadrouter_router.state import Session, TopicPrefix
from leadrouter_runtime.problems import UnsupportedMediaType, problem_response

YAML_MEDIA_TYPE = "application/yaml"  # RFC 9512
SETUP_REF = {"$ref": "#/components/schemas/SetupDocument"}

router = ScopedRouter(prefix="/v1/config", tags=["config"])


@router.operation(
    "GET",
    "",
    "Export the routing set-up as one YAML document",
    {200: {"content": {YAML_MEDIA_TYPE: {"schema": SETUP_REF}}, "description": "The whole set-up"}},
    scope="admin",
    response_class=Response,
)
async def export_config(session: Session) -> Response:
    document = await service.export(session)
    return Response(service.dump(document), media_type=YAML_MEDIA_TYPE)


@router.operation(
    "PUT",
    "",
    "Import a set-up: validated whole, then applied in one transaction",
    {
        415: problem_entry("The body is not YAML"),
        422: problem_entry("The document is not valid; `invalid-params` names each problem"),
    },
    scope="admin",
    response_model=ImportResult,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {YAML_MEDIA_TYPE: {"schema": SETUP_REF}},
        }
    },
)
async def import_config(
    request: Request,
    session: Session,
    prefix: TopicPrefix,
    prune: Annotated[
        bool, Query(description="Remove or end what the document does not name.")
    ] = False,
) -> ImportResult | Response:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in (YAML_MEDIA_TYPE, "application/x-yaml", "text/yaml"):
        raise UnsupportedMediaType(f"Expected {YAML_MEDIA_TYPE}, got {media_type or 'nothing'}.")
    try:
        document = service.parse(await request.body())
    except service.InvalidSetup as invalid:
        return problem_response(
            status=invalid.status,
            title=invalid.title,
            detail=invalid.detail,
            invalid_params=invalid.invalid_params,
        )
    return await service.apply(
        session,
        document,
        now=datetime.now(UTC),
        topic_prefix=prefix,
        prune=prune,
    )


def add_setup_schema(openapi: dict[str, Any]) -> dict[str, Any]:
    """The YAML body is read by hand, so FastAPI does not list its schema: add it (and
    the schemas it refers to) to the components that ``SETUP_REF`` points at."""
    schema = SetupDocument.model_json_schema(ref_template="#/components/schemas/{model}")
    components = openapi.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components["SetupDocument"] = schema
    return openapi
