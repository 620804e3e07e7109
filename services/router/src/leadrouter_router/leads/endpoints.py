"""Read the leads the router holds (filters and paging grow with the router issue)."""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Query

from leadrouter_router.leads import repository
from leadrouter_router.leads.models import AssignmentRow, LeadRow
from leadrouter_router.leads.schemas import AssignmentOut, LeadOut, LeadPage
from leadrouter_router.state import Session
from leadrouter_runtime.problems import NotFound, ProblemDocument

router = APIRouter(prefix="/v1/leads", tags=["leads"])


def _lead_out(lead: LeadRow, assignments: Iterable[AssignmentRow]) -> LeadOut:
    return LeadOut(
        id=lead.id,
        lead_key=lead.lead_key,
        correlation_id=lead.correlation_id,
        campaign_id=lead.campaign_id,
        email=lead.email,
        score=lead.score,
        grade=lead.grade,
        status=lead.status,
        received_at=lead.received_at,
        assignments=[AssignmentOut.model_validate(a, from_attributes=True) for a in assignments],
    )


@router.get("", summary="List leads, newest first")
async def list_leads(
    session: Session,
    correlation_id: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> LeadPage:
    leads = await repository.list_leads(session, correlation_id=correlation_id, limit=limit)
    by_lead: dict[uuid.UUID, list[AssignmentRow]] = defaultdict(list)
    for row in await repository.assignments_of(session, [lead.id for lead in leads]):
        by_lead[row.lead_id].append(row)
    return LeadPage(items=[_lead_out(lead, by_lead[lead.id]) for lead in leads])


@router.get(
    "/{lead_id}",
    summary="One lead with its assignments",
    responses={404: {"model": ProblemDocument, "description": "No such lead"}},
)
async def get_lead(lead_id: uuid.UUID, session: Session) -> LeadOut:
    lead = await repository.get_lead(session, lead_id)
    if lead is None:
        raise NotFound(f"No lead {lead_id}.")
    return _lead_out(lead, await repository.assignments_of(session, [lead.id]))
