"""Liveness (``/healthz``: the process answers) and readiness (``/readyz``: its
dependencies answer), as Kubernetes and Compose probe them."""

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

ReadinessCheck = Callable[[], Awaitable[None]]
"""Returns when the dependency answers; raises (anything) when it does not."""

CHECK_TIMEOUT_S = 2.0


class Health(BaseModel):
    status: str
    checks: dict[str, str] = {}


def health_router(checks: Callable[[], Mapping[str, ReadinessCheck]]) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", response_model=Health, summary="The process is alive")
    async def healthz() -> Health:
        return Health(status="ok")

    @router.get(
        "/readyz",
        response_model=Health,
        summary="Kafka (and the database, where there is one) answer",
        responses={503: {"model": Health, "description": "A dependency does not answer"}},
    )
    async def readyz() -> JSONResponse:
        named = dict(checks())
        outcomes = await asyncio.gather(
            *(asyncio.wait_for(check(), CHECK_TIMEOUT_S) for check in named.values()),
            return_exceptions=True,
        )
        results = {
            name: "ok" if outcome is None else f"failed: {type(outcome).__name__} {outcome}".strip()
            for name, outcome in zip(named, outcomes, strict=True)
        }
        ready = all(value == "ok" for value in results.values())
        body = Health(status="ready" if ready else "not ready", checks=results)
        return JSONResponse(body.model_dump(), status_code=200 if ready else 503)

    return router
