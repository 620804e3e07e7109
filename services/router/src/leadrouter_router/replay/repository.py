"""All SQL of a replay: reads only."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.campaigns.models import CampaignRow
from leadrouter_router.leads.models import AssignmentRow, LeadRow
from leadrouter_router.policies.models import RoutingPolicyRow
from leadrouter_router.policies.policy import Policy, PolicyDocument
from leadrouter_router.replay.engine import OpenAtStart, StoredLead
from leadrouter_router.reports.funnel import FINAL_OUTCOMES
from leadrouter_schemas import LeadScoredData


def _window(since: datetime, until: datetime, campaign_id: str | None) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [LeadRow.received_at >= since, LeadRow.received_at < until]
    if campaign_id is not None:
        found.append(LeadRow.campaign_id == campaign_id)
    return found


async def count_leads(
    session: AsyncSession, *, since: datetime, until: datetime, campaign_id: str | None
) -> int:
    query = select(func.count()).select_from(LeadRow).where(*_window(since, until, campaign_id))
    return int((await session.execute(query)).scalar_one())


async def leads_page(
    session: AsyncSession,
    *,
    since: datetime,
    until: datetime,
    campaign_id: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    campaigns: dict[str, CampaignRow],
) -> list[StoredLead]:
    """The next leads of the window in the order they arrived, with what became of them."""
    query = (
        select(LeadRow.id, LeadRow.received_at, LeadRow.scored, LeadRow.campaign_id, LeadRow.status)
        .where(*_window(since, until, campaign_id))
        .order_by(LeadRow.received_at, LeadRow.id)
        .limit(limit)
    )
    if after is not None:
        at, last = after
        query = query.where(
            or_(LeadRow.received_at > at, and_(LeadRow.received_at == at, LeadRow.id > last))
        )
    rows = (await session.execute(query)).all()
    if not rows:
        return []
    assignments: dict[uuid.UUID, list[tuple[datetime, uuid.UUID, str, datetime | None]]] = (
        defaultdict(list)
    )
    found = await session.execute(
        select(
            AssignmentRow.lead_id,
            AssignmentRow.assigned_at,
            AssignmentRow.salesperson_id,
            AssignmentRow.stage,
            AssignmentRow.ended_at,
        ).where(AssignmentRow.lead_id.in_([row.id for row in rows]))
    )
    for lead_id, assigned_at, person, stage, ended_at in found.all():
        assignments[lead_id].append((assigned_at, person, stage, ended_at))
    leads = []
    for lead_id, received_at, scored, campaign, status in rows:
        own = sorted(assignments.get(lead_id, []), key=lambda a: a[0])
        final = next((a for a in own if a[2] in FINAL_OUTCOMES), None)
        outcome = (
            final[2]
            if final is not None
            else status
            if status in ("merged", "unassigned")
            else "open"
        )
        row = campaigns.get(campaign)
        leads.append(
            StoredLead(
                id=lead_id,
                received_at=received_at,
                data=LeadScoredData.model_validate(scored),
                product_line=row.product_line if row else None,
                policy_name=row.policy_name if row else None,
                sla=row.sla if row else None,
                recorded_owner=own[0][1] if own else None,
                outcome=outcome,
                closed_at=final[3] if final is not None else None,
            )
        )
    return leads


async def open_at(session: AsyncSession, since: datetime) -> list[OpenAtStart]:
    """The assignments made before ``since`` and still open then."""
    found = await session.execute(
        select(AssignmentRow.salesperson_id, LeadRow.value, AssignmentRow.ended_at)
        .join(LeadRow, LeadRow.id == AssignmentRow.lead_id)
        .where(
            AssignmentRow.assigned_at < since,
            or_(AssignmentRow.ended_at.is_(None), AssignmentRow.ended_at >= since),
        )
    )
    return [OpenAtStart(person, float(value), ended) for person, value, ended in found.all()]


async def policy_versions(session: AsyncSession) -> dict[str, Sequence[tuple[datetime, Policy]]]:
    """Every version of every policy, oldest first, with when it came into force."""
    rows = await session.scalars(
        select(RoutingPolicyRow).order_by(RoutingPolicyRow.name, RoutingPolicyRow.version)
    )
    versions: dict[str, list[tuple[datetime, Policy]]] = defaultdict(list)
    for row in rows.all():
        versions[row.name].append(
            (
                row.created_at,
                Policy(
                    name=row.name,
                    version=row.version,
                    document=PolicyDocument.model_validate(row.document),
                ),
            )
        )
    return dict(versions)


async def all_campaigns(session: AsyncSession) -> dict[str, CampaignRow]:
    return {row.campaign_id: row for row in (await session.scalars(select(CampaignRow))).all()}
