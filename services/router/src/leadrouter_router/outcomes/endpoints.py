"""The CRM calls back: accept, reject, first touch, outcome (crm scope).

Idempotent by the body's ``event_id``: a repeat gets the first answer (with
``Idempotent-Replayed: true``) and records nothing.
"""

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import Request, Response

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
from leadrouter_router.platform.auth import CONFLICT, NOT_FOUND, problem_entry
from leadrouter_router.platform.routes import ResourceRoute, ScopedRouter
from leadrouter_router.routing.metrics import RoutingMetrics
from leadrouter_router.state import Session, router_state
from leadrouter_runtime.parts import part
from leadrouter_schemas import topics

RESPONSES: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    **CONFLICT,
    422: problem_entry("The body does not match the schema (e.g. an unknown outcome)"),
}

router = ScopedRouter(tags=["outcomes"], route_class=ResourceRoute)


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


# The four callbacks are one endpoint: only the action, its body and its summary differ.
CALLBACKS: tuple[tuple[Action, type[Callback], str], ...] = (
    ("accept", AcceptIn, "The salesperson accepted the lead"),
    (
        "reject",
        RejectIn,
        "The salesperson rejected the lead: it is routed to someone who has not had it",
    ),
    ("activity", ActivityIn, "The salesperson touched the lead (call, e-mail, meeting)"),
    ("outcome", OutcomeIn, "What became of the lead: won, lost, bought elsewhere, unreachable"),
)


def _endpoint(action: Action, body_model: type[Callback]) -> Callable[..., Awaitable[CallbackOut]]:
    async def endpoint(
        lead_id: uuid.UUID, body: Callback, session: Session, request: Request, response: Response
    ) -> CallbackOut:
        return await _record(request, response, session, lead_id, action, body)

    # FastAPI validates the body against the annotation: this action's own model.
    endpoint.__annotations__["body"] = body_model
    return endpoint


for _action, _body_model, _summary in CALLBACKS:
    router.operation(
        "POST", f"/v1/leads/{{lead_id}}/{_action}", _summary, RESPONSES, scope="crm", name=_action
    )(_endpoint(_action, _body_model))
