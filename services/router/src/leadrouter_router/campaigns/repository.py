"""All SQL about campaigns."""

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.campaigns.models import CampaignRow


async def by_ids(session: AsyncSession, campaign_ids: Collection[str]) -> dict[str, CampaignRow]:
    if not campaign_ids:
        return {}
    result = await session.scalars(
        select(CampaignRow).where(CampaignRow.campaign_id.in_(campaign_ids))
    )
    return {row.campaign_id: row for row in result.all()}


async def all_campaigns(session: AsyncSession) -> Sequence[CampaignRow]:
    return (await session.scalars(select(CampaignRow).order_by(CampaignRow.campaign_id))).all()


async def get(session: AsyncSession, campaign_id: str) -> CampaignRow | None:
    return await session.get(CampaignRow, campaign_id)
