"""Campaign changes: stored with a new version and published to the scorer on the
compacted ``config.campaigns`` topic (through the outbox, in the same transaction)."""

import hashlib
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.campaigns.models import CampaignRow
from leadrouter_router.campaigns.schemas import CampaignBody, CampaignOut
from leadrouter_router.errors import UnknownReference
from leadrouter_router.platform import outbox
from leadrouter_router.platform.kafka_delivery import KAFKA_KIND
from leadrouter_router.policies import repository as policies
from leadrouter_router.policies.policy import DEFAULT_POLICY_NAME
from leadrouter_schemas import (
    Campaign,
    CampaignConfigured,
    CampaignConfiguredData,
    encode,
    header_values,
)
from leadrouter_schemas.envelope import CORRELATION_ID_MAX_LENGTH
from leadrouter_schemas.topics import CAMPAIGNS_CONFIG


def _columns(body: CampaignBody) -> dict[str, object]:
    values = body.model_dump(mode="json", exclude={"policy"})
    values["policy_name"] = body.policy
    return values


def campaign_contract(row: CampaignRow) -> Campaign:
    return Campaign.model_validate(row, from_attributes=True)


def campaign_out(row: CampaignRow) -> CampaignOut:
    return CampaignOut.model_validate(
        {
            **{name: getattr(row, name) for name in CampaignOut.model_fields if name != "policy"},
            "policy": row.policy_name,
        }
    )


async def _check_policy(session: AsyncSession, name: str | None) -> None:
    if name is None or name == DEFAULT_POLICY_NAME:
        return
    if name not in await policies.latest_policies(session, [name]):
        raise UnknownReference(f"No routing policy named {name}.")


async def save_campaign(
    session: AsyncSession,
    campaign_id: str,
    body: CampaignBody,
    *,
    now: datetime,
    topic_prefix: str,
) -> tuple[CampaignRow, bool]:
    """Create or replace; a change gets the next version and is published. Returns
    the row and whether it was created."""
    await _check_policy(session, body.policy)
    values = _columns(body)
    row = await session.get(CampaignRow, campaign_id)
    created = row is None
    if row is None:
        row = CampaignRow(campaign_id=campaign_id, version=1, updated_at=now, **values)
        session.add(row)
    elif any(getattr(row, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(row, name, value)
        row.version += 1
        row.updated_at = now
    else:
        return row, False  # unchanged: no new version, nothing to publish
    await session.flush()
    publish(session, row, now=now, topic_prefix=topic_prefix)
    return row, created


def correlation_id_of(campaign_id: str, version: int) -> str:
    """``campaign-<id>-v<version>``, readable; an id too long for the envelope's
    correlation id (a campaign id may be longer) is replaced by its digest."""
    readable = f"campaign-{campaign_id}-v{version}"
    if len(readable) <= CORRELATION_ID_MAX_LENGTH:
        return readable
    digest = hashlib.sha256(campaign_id.encode()).hexdigest()[:32]
    return f"campaign-sha256-{digest}-v{version}"


def publish(session: AsyncSession, row: CampaignRow, *, now: datetime, topic_prefix: str) -> None:
    event = CampaignConfigured(
        occurred_at=now,
        source="router",
        correlation_id=correlation_id_of(row.campaign_id, row.version),
        data=CampaignConfiguredData(campaign=campaign_contract(row)),
    )
    outbox.enqueue(
        session,
        kind=KAFKA_KIND,
        destination=f"{topic_prefix}{CAMPAIGNS_CONFIG}",
        key=row.campaign_id,
        payload=encode(event).decode(),
        headers=header_values(event),
        idempotency_key=str(event.event_id),  # a campaign id may fill the column alone
        now=now,
    )
