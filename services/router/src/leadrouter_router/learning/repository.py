"""All SQL of the model fit: closed leads of a campaign, model versions, the audit."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.leads.models import AssignmentRow, LeadRow
from leadrouter_router.learning.models import ModelAuditRow, ModelVersionRow
from leadrouter_router.outcomes.states import OUTCOMES


def _closed(campaign_id: str | None) -> Any:
    """Closed leads and the stage of the assignment that closed them (the final outcome)."""
    query = (
        select(LeadRow.campaign_id, LeadRow.received_at, LeadRow.score, AssignmentRow.stage)
        .join(AssignmentRow, AssignmentRow.lead_id == LeadRow.id)
        .where(LeadRow.status == "closed", AssignmentRow.stage.in_(OUTCOMES))
    )
    if campaign_id is not None:
        query = query.where(LeadRow.campaign_id == campaign_id)
    return query


async def closed_scores(
    session: AsyncSession, campaign_id: str | None = None
) -> Sequence[tuple[str, datetime, int, str]]:
    """(campaign, received, stored score, outcome) of every closed lead."""
    result = await session.execute(_closed(campaign_id))
    return [(c, at, score, stage) for c, at, score, stage in result.all()]


async def closed_leads(
    session: AsyncSession, campaign_id: str
) -> Sequence[tuple[datetime, int, dict[str, Any], str]]:
    """(received, stored score, the LeadScored data, outcome) of a campaign's closed leads."""
    result = await session.execute(
        select(LeadRow.received_at, LeadRow.score, LeadRow.scored, AssignmentRow.stage)
        .join(AssignmentRow, AssignmentRow.lead_id == LeadRow.id)
        .where(
            LeadRow.status == "closed",
            AssignmentRow.stage.in_(OUTCOMES),
            LeadRow.campaign_id == campaign_id,
        )
    )
    return [(at, score, scored, stage) for at, score, scored, stage in result.all()]


async def count_versions(session: AsyncSession, campaign_id: str) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(ModelVersionRow)
            .where(ModelVersionRow.campaign_id == campaign_id)
        )
        or 0
    )


async def versions(session: AsyncSession, campaign_id: str) -> Sequence[ModelVersionRow]:
    result = await session.scalars(
        select(ModelVersionRow)
        .where(ModelVersionRow.campaign_id == campaign_id)
        .order_by(ModelVersionRow.created_at.desc(), ModelVersionRow.version.desc())
    )
    return result.all()


async def version(session: AsyncSession, campaign_id: str, name: str) -> ModelVersionRow | None:
    return await session.scalar(
        select(ModelVersionRow).where(
            ModelVersionRow.campaign_id == campaign_id, ModelVersionRow.version == name
        )
    )


async def promoted(session: AsyncSession, campaign_id: str) -> ModelVersionRow | None:
    return await session.scalar(
        select(ModelVersionRow)
        .where(ModelVersionRow.campaign_id == campaign_id, ModelVersionRow.status == "promoted")
        .order_by(ModelVersionRow.promoted_at.desc())
        .limit(1)
    )


async def latest_with_evaluation(session: AsyncSession) -> Sequence[ModelVersionRow]:
    """The newest fitted version of each campaign."""
    newest = (
        select(ModelVersionRow.campaign_id, func.max(ModelVersionRow.created_at).label("at"))
        .group_by(ModelVersionRow.campaign_id)
        .subquery()
    )
    result = await session.scalars(
        select(ModelVersionRow)
        .join(
            newest,
            (newest.c.campaign_id == ModelVersionRow.campaign_id)
            & (newest.c.at == ModelVersionRow.created_at),
        )
        .order_by(ModelVersionRow.campaign_id)
    )
    return result.all()


async def audit(session: AsyncSession, campaign_id: str) -> Sequence[ModelAuditRow]:
    result = await session.scalars(
        select(ModelAuditRow)
        .where(ModelAuditRow.campaign_id == campaign_id)
        .order_by(ModelAuditRow.at.desc())
    )
    return result.all()


async def by_version(session: AsyncSession, name: str) -> ModelVersionRow | None:
    """A fitted version by its name (names are unique across campaigns)."""
    return await session.scalar(select(ModelVersionRow).where(ModelVersionRow.version == name))
