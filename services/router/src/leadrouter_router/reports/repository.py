"""All SQL of the reports: the facts of the leads received or rejected in a period."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.leads.models import AssignmentRow, LeadRow
from leadrouter_router.rejections.models import RejectionRow
from leadrouter_router.reports.funnel import AssignmentFact, LeadFact, RejectionFact
from leadrouter_router.reports.leakage import LeakLead
from leadrouter_router.routing import repository as routing
from leadrouter_router.salespeople.models import SalespersonRow


async def period_facts(
    session: AsyncSession, *, since: datetime, until: datetime, campaign_id: str | None
) -> tuple[list[LeadFact], list[AssignmentFact]]:
    """The leads received in [since, until) and every assignment they had."""
    leads = select(LeadRow.id, LeadRow.campaign_id, LeadRow.received_at, LeadRow.status).where(
        LeadRow.received_at >= since, LeadRow.received_at < until
    )
    if campaign_id is not None:
        leads = leads.where(LeadRow.campaign_id == campaign_id)
    lead_facts = [LeadFact(*row) for row in (await session.execute(leads)).all()]
    in_period = leads.with_only_columns(LeadRow.id).scalar_subquery()
    return lead_facts, await _assignments_of(session, in_period)


async def leak_facts(
    session: AsyncSession, *, since: datetime, until: datetime, campaign_id: str | None
) -> tuple[list[LeakLead], list[AssignmentFact]]:
    """The leads received in [since, until), merged ones left out, with their grade
    and source, and every assignment they had."""
    source = LeadRow.scored[("lead", "source")].as_string()
    leads = select(LeadRow.id, LeadRow.grade, source, LeadRow.received_at).where(
        LeadRow.received_at >= since, LeadRow.received_at < until, LeadRow.status != "merged"
    )
    if campaign_id is not None:
        leads = leads.where(LeadRow.campaign_id == campaign_id)
    lead_facts = [
        LeakLead(id, grade, found or "(unknown)", received_at)
        for id, grade, found, received_at in (await session.execute(leads)).all()
    ]
    in_period = leads.with_only_columns(LeadRow.id).scalar_subquery()
    return lead_facts, await _assignments_of(session, in_period)


async def _assignments_of(session: AsyncSession, lead_ids: Any) -> list[AssignmentFact]:
    assignments = select(
        AssignmentRow.lead_id,
        AssignmentRow.salesperson_id,
        AssignmentRow.pool,
        AssignmentRow.assigned_at,
        AssignmentRow.stage,
        AssignmentRow.accepted_at,
        AssignmentRow.first_touch_at,
        AssignmentRow.accept_due_at,
        AssignmentRow.touch_due_at,
        AssignmentRow.ended_at,
    ).where(AssignmentRow.lead_id.in_(lead_ids))
    return [AssignmentFact(**row._asdict()) for row in (await session.execute(assignments)).all()]


async def period_rejections(
    session: AsyncSession, *, since: datetime, until: datetime, campaign_id: str | None
) -> list[RejectionFact]:
    """The rejected leads received in [since, until)."""
    query = select(RejectionRow.campaign_id, RejectionRow.reason_codes).where(
        RejectionRow.received_at >= since, RejectionRow.received_at < until
    )
    if campaign_id is not None:
        query = query.where(RejectionRow.campaign_id == campaign_id)
    return [
        RejectionFact(campaign, tuple(codes))
        for campaign, codes in (await session.execute(query)).all()
    ]


async def pool_members(session: AsyncSession) -> dict[str, list[uuid.UUID]]:
    members: dict[str, list[uuid.UUID]] = {}
    for pool, person in await routing.pool_members(session):
        members.setdefault(pool, []).append(person)
    return members


async def salesperson_names(session: AsyncSession) -> dict[uuid.UUID, str]:
    return {
        person: name
        for person, name in (
            await session.execute(select(SalespersonRow.id, SalespersonRow.name))
        ).all()
    }
