"""CRUD for campaigns; every change is published to the scorer."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Path, Response

from leadrouter_router.campaigns import repository, service
from leadrouter_router.campaigns.models import CampaignRow
from leadrouter_router.campaigns.schemas import (
    CAMPAIGN_ID_MAX_LENGTH,
    CAMPAIGN_ID_PATTERN,
    CampaignBody,
    CampaignIn,
    CampaignList,
    CampaignOut,
)
from leadrouter_router.errors import Conflict
from leadrouter_router.platform.auth import CONFLICT, NOT_FOUND
from leadrouter_router.platform.lookup import get_or_404
from leadrouter_router.platform.routes import ResourceRoute, ScopedRouter, no_content
from leadrouter_router.state import Session, TopicPrefix

CampaignId = Annotated[
    str, Path(min_length=1, max_length=CAMPAIGN_ID_MAX_LENGTH, pattern=CAMPAIGN_ID_PATTERN)
]
Campaign = Annotated[
    CampaignRow,
    Depends(get_or_404(repository.get, "campaign_id", CampaignId, "No campaign {}.")),
]

router = ScopedRouter(prefix="/v1/campaigns", tags=["campaigns"], route_class=ResourceRoute)


@router.read("", "All campaigns")
async def list_campaigns(session: Session) -> CampaignList:
    rows = await repository.all_campaigns(session)
    return CampaignList(items=[service.campaign_out(row) for row in rows])


@router.add("", "Add a campaign (published to the scorer)", CONFLICT)
async def create_campaign(body: CampaignIn, session: Session, prefix: TopicPrefix) -> CampaignOut:
    if await repository.get(session, body.campaign_id) is not None:
        raise Conflict(f"Campaign {body.campaign_id} exists; PUT replaces it.")
    row, _ = await service.save_campaign(
        session,
        body.campaign_id,
        CampaignBody.model_validate(body.model_dump(exclude={"campaign_id"})),
        now=datetime.now(UTC),
        topic_prefix=prefix,
    )
    return service.campaign_out(row)


@router.read("/{campaign_id}", "One campaign", NOT_FOUND)
async def get_campaign(row: Campaign) -> CampaignOut:
    return service.campaign_out(row)


@router.replace(
    "/{campaign_id}", "Create or replace a campaign; a change is a new version, published"
)
async def put_campaign(
    campaign_id: CampaignId, body: CampaignBody, session: Session, prefix: TopicPrefix
) -> CampaignOut:
    row, _ = await service.save_campaign(
        session, campaign_id, body, now=datetime.now(UTC), topic_prefix=prefix
    )
    return service.campaign_out(row)


@router.remove(
    "/{campaign_id}", "End a campaign: it is kept, inactive, and the scorer is told", NOT_FOUND
)
async def delete_campaign(row: Campaign, session: Session, prefix: TopicPrefix) -> Response:
    body = CampaignBody.model_validate(
        {
            **service.campaign_out(row).model_dump(
                mode="json", exclude={"campaign_id", "version", "updated_at"}
            ),
            "active": False,
        }
    )
    await service.save_campaign(
        session, row.campaign_id, body, now=datetime.now(UTC), topic_prefix=prefix
    )
    return no_content()
