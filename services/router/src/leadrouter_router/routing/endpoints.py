"""Policies (versioned), the decision record of a lead, and the what-if simulation."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Path, Response

from leadrouter_router.platform.auth import NOT_FOUND
from leadrouter_router.platform.bodies import body_of
from leadrouter_router.platform.lookup import get_or_404
from leadrouter_router.platform.routes import ResourceRoute, ScopedRouter, no_content
from leadrouter_router.policies import repository as policies
from leadrouter_router.policies import service as policy_service
from leadrouter_router.policies.models import RoutingPolicyRow
from leadrouter_router.policies.policy import PolicyDocument
from leadrouter_router.routing import repository, service
from leadrouter_router.routing.models import DecisionRow
from leadrouter_router.routing.schemas import (
    DecisionOut,
    PolicyList,
    PolicyOut,
    SimulatedDecision,
    SimulationIn,
    SimulationOut,
)
from leadrouter_router.state import Session
from leadrouter_runtime.problems import PROBLEM_RESPONSES
from leadrouter_schemas import LeadScoredData

PolicyName = Annotated[str, Path(min_length=1, max_length=200)]
PolicyVersions = Annotated[
    Sequence[RoutingPolicyRow],
    Depends(get_or_404(policies.policy_history, "name", PolicyName, "No policy {}.")),
]
LatestDecision = Annotated[
    DecisionRow,
    Depends(get_or_404(repository.decision_of, "lead_id", uuid.UUID, "No decision for lead {}.")),
]

router = ScopedRouter(tags=["routing"], route_class=ResourceRoute)


def _out(row: RoutingPolicyRow) -> PolicyOut:
    return PolicyOut.model_validate(row, from_attributes=True)


@router.read("/v1/policies", "Current policies")
async def list_policies(session: Session) -> PolicyList:
    rows = await policies.latest_policies(session)
    return PolicyList(items=[_out(rows[name]) for name in sorted(rows)])


@router.replace("/v1/policies/{name}", "Store a policy: a new version when it changed")
async def put_policy(name: PolicyName, body: PolicyDocument, session: Session) -> PolicyOut:
    row, _ = await policy_service.save_policy(session, name, body, now=datetime.now(UTC))
    return _out(row)


@router.read("/v1/policies/{name}", "A policy's versions, newest first", NOT_FOUND)
async def get_policy(rows: PolicyVersions) -> PolicyList:
    return PolicyList(items=[_out(row) for row in rows])


@router.remove(
    "/v1/policies/{name}",
    "Remove a policy and its versions (decision records still show their rules)",
    NOT_FOUND,
)
async def delete_policy(rows: PolicyVersions, session: Session) -> Response:
    await policies.delete_policy(session, rows[0].name, now=datetime.now(UTC))
    return no_content()


@router.read(
    "/v1/leads/{lead_id}/decision",
    "Why this salesperson: the lead's latest decision record",
    NOT_FOUND,
)
async def get_decision(row: LatestDecision, session: Session) -> DecisionOut:
    return body_of(
        DecisionOut, row, decision_id=row.id, record=await service.explanation(session, row)
    )


@router.operation(
    "POST",
    "/v1/routing/simulate",
    "What if: route leads through the current or a candidate policy, writing nothing",
    PROBLEM_RESPONSES,
    scope="read",
)
async def simulate(body: SimulationIn, session: Session) -> SimulationOut:
    if body.policy is not None:
        await policy_service.check_references(session, body.policy)
    decisions = await service.simulate(
        session,
        [LeadScoredData(lead=item.lead, score=item.score) for item in body.leads],
        candidate=body.policy,
        now=body.at or datetime.now(UTC),
    )
    return SimulationOut(
        decisions=[body_of(SimulatedDecision, d, record=record) for d, record in decisions]
    )
