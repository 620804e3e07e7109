"""Read the leads the router holds and their assignments: filters and cursor pages."""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import Depends, Query

from leadrouter_router.leads import repository
from leadrouter_router.leads.models import AssignmentRow, LeadRow
from leadrouter_router.leads.schemas import (
    AssignmentOut,
    AssignmentPage,
    LeadOut,
    LeadPage,
    LeadStatus,
)
from leadrouter_router.platform.auth import NOT_FOUND, problem_entry
from leadrouter_router.platform.bodies import body_of
from leadrouter_router.platform.lookup import get_or_404
from leadrouter_router.platform.pagination import NameFilter, Page
from leadrouter_router.platform.routes import ScopedRouter
from leadrouter_router.state import Session
from leadrouter_runtime.values import UtcDatetime

BAD_QUERY: dict[int | str, dict[str, Any]] = {
    400: problem_entry("The cursor was not given by this API"),
    422: problem_entry("A query parameter is not valid"),
}
Lead = Annotated[
    LeadRow, Depends(get_or_404(repository.get_lead, "lead_id", uuid.UUID, "No lead {}."))
]

router = ScopedRouter(tags=["leads"])


def _assignment_out(row: AssignmentRow) -> AssignmentOut:
    return AssignmentOut.model_validate(row, from_attributes=True)


def _lead_out(lead: LeadRow, assignments: Iterable[AssignmentRow]) -> LeadOut:
    return body_of(LeadOut, lead, assignments=[_assignment_out(a) for a in assignments])


@router.read("/v1/leads", "List leads, newest first", BAD_QUERY)
async def list_leads(
    session: Session,
    page: Page,
    correlation_id: Annotated[str | None, Query(max_length=128)] = None,
    campaign_id: NameFilter = None,
    status: LeadStatus | None = None,
    salesperson_id: Annotated[uuid.UUID | None, Query(description="The owner.")] = None,
    received_from: UtcDatetime | None = None,
    received_until: UtcDatetime | None = None,
) -> LeadPage:
    leads = await repository.list_leads(
        session,
        limit=page.limit,
        after=page.after,
        correlation_id=correlation_id,
        campaign_id=campaign_id,
        status=status,
        owner_id=salesperson_id,
        received_from=received_from,
        received_until=received_until,
    )
    by_lead: dict[uuid.UUID, list[AssignmentRow]] = defaultdict(list)
    for row in await repository.assignments_of(session, [lead.id for lead in leads]):
        by_lead[row.lead_id].append(row)
    return LeadPage(
        items=[_lead_out(lead, by_lead[lead.id]) for lead in leads],
        next_cursor=page.next_cursor(leads, lambda lead: (lead.received_at, lead.id)),
    )


@router.read("/v1/leads/{lead_id}", "One lead with its assignments", NOT_FOUND)
async def get_lead(lead: Lead, session: Session) -> LeadOut:
    return _lead_out(lead, await repository.assignments_of(session, [lead.id]))


@router.read("/v1/assignments", "List assignments, newest first", BAD_QUERY)
async def list_assignments(
    session: Session,
    page: Page,
    salesperson_id: uuid.UUID | None = None,
    campaign_id: NameFilter = None,
    pool: NameFilter = None,
    assigned_from: UtcDatetime | None = None,
    assigned_until: UtcDatetime | None = None,
) -> AssignmentPage:
    rows = await repository.list_assignments(
        session,
        limit=page.limit,
        after=page.after,
        salesperson_id=salesperson_id,
        campaign_id=campaign_id,
        pool=pool,
        assigned_from=assigned_from,
        assigned_until=assigned_until,
    )
    return AssignmentPage(
        items=[_assignment_out(row) for row in rows],
        next_cursor=page.next_cursor(rows, lambda row: (row.assigned_at, row.id)),
    )
