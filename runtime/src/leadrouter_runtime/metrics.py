"""Prometheus metrics: one registry per app (built in ``create_app``, never at import),
exposed at ``GET /metrics`` in the text exposition format."""

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest


def metrics_router(registry: CollectorRegistry) -> APIRouter:
    router = APIRouter(tags=["ops"])

    @router.get(
        "/metrics",
        summary="Prometheus metrics (text exposition format)",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
    )
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
