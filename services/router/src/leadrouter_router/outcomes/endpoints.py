"""The CRM calls back: accept, reject, first touch, outcome (crm scope).

Idempotent by the body's ``event_id``: a repeat gets the first answer (with
``Idempotent-Replayed: true``) and records nothing.
"""

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from leadrouter_router.outcomes.metrics import OutcomeMetrics
from leadrouter_router.outcomes.schemas import (
    AcceptIn,
    ActivityIn,
    Callback,
    CallbackOut,
    OutcomeIn,
    RejectIn,
)
from leadrouter_router.outcomes.service import Topics, record_callback
from leadrouter_router.outcomes.states import Action
from leadrouter_router.platform.auth import (
    AUTH_RESPONSES,
    CONFLICT,
    NOT_FOUND,
    problem_entry,
    require,
)
from leadrouter_router.platform.routes import ResourceRoute
from leadrouter_router.routing.metrics import RoutingMetrics
from leadrouter_router.state import Session, router_state
from leadrouter_runtime.parts import part
from leadrouter_schemas import topics

CRM = [Depends(require("crm"))]
RESPONSES: dict[int | str, dict[str, Any]] = {
    **AUTH_RESPONSES,
    **NOT_FOUND,
    **CONFLICT,
    422: problem_entry("The body does not match the schema (e.g. an unknown outcome)"),
}

router = APIRouter(tags=["outcomes"], route_class=ResourceRoute)


async def _record(
    request: Request,
    response: Response,
    session: Session,
    lead_id: uuid.UUID,
    action: Action,
    body: Callback,
) -> CallbackOut:
    kafka = router_state(request).settings.kafka
    recorded = await record_callback(
        session,
        lead_id,
        action,
        body,
        now=datetime.now(UTC),
        topics=Topics(
            assigned=kafka.topic(topics.LEADS_ASSIGNED),
            outcomes=kafka.topic(topics.LEADS_OUTCOMES),
        ),
        metrics=part(request, OutcomeMetrics),
        routing_metrics=part(request, RoutingMetrics),
    )
    if recorded.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return recorded.answer


@router.post(
    "/v1/leads/{lead_id}/accept",
    dependencies=CRM,
    responses=RESPONSES,
    summary="The salesperson accepted the lead",
)
async def accept(
    lead_id: uuid.UUID, body: AcceptIn, session: Session, request: Request, response: Response
) -> CallbackOut:
    return await _record(request, response, session, lead_id, "accept", body)


@router.post(
    "/v1/leads/{lead_id}/reject",
    dependencies=CRM,
    responses=RESPONSES,
    summary="The salesperson rejected the lead: it is routed to someone who has not had it",
)
async def reject(
    lead_id: uuid.UUID, body: RejectIn, session: Session, request: Request, response: Response
) -> CallbackOut:
    return await _record(request, response, session, lead_id, "reject", body)


@router.post(
    "/v1/leads/{lead_id}/activity",
    dependencies=CRM,
    responses=RESPONSES,
    summary="The salesperson touched the lead (call, e-mail, meeting)",
)
async def activity(
    lead_id: uuid.UUID, body: ActivityIn, session: Session, request: Request, response: Response
) -> CallbackOut:
    return await _record(request, response, session, lead_id, "activity", body)


@router.post(
    "/v1/leads/{lead_id}/outcome",
    dependencies=CRM,
    responses=RESPONSES,
    summary="What became of the lead: won, lost, bought elsewhere, unreachable",
)
async def outcome(
    lead_id: uuid.UUID, body: OutcomeIn, session: Session, request: Request, response: Response
) -> CallbackOut:
    return await _record(request, response, session, lead_id, "outcome", body)
