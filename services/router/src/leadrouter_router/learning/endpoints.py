"""Scoring models fitted to outcomes: fit, compare, promote, roll back (admin), and
the calibration the ops page plots (read)."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Path

from leadrouter_router.campaigns.endpoints import CampaignId
from leadrouter_router.learning import repository, service
from leadrouter_router.learning.schemas import (
    AuditList,
    CalibrationReport,
    ModelVersionList,
    ModelVersionOut,
)
from leadrouter_router.platform.auth import CONFLICT, NOT_FOUND, Caller, problem_entry, require
from leadrouter_router.platform.routes import ScopedRouter
from leadrouter_router.state import Session, TopicPrefix

Version = Annotated[str, Path(max_length=200)]
Admin = Annotated[Caller, Depends(require("admin"))]
TOO_FEW: dict[int | str, dict[str, Any]] = {
    422: problem_entry("Too few closed leads to fit (the minimum is documented)")
}

router = ScopedRouter(tags=["models"])


@router.operation(
    "POST",
    "/v1/campaigns/{campaign_id}/models",
    "Fit a candidate model from the campaign's closed leads (not promoted)",
    NOT_FOUND,
    TOO_FEW,
    scope=None,  # the caller: Admin
    status_code=201,
)
async def fit_model(campaign_id: CampaignId, session: Session, caller: Admin) -> ModelVersionOut:
    row = await service.fit_candidate(
        session, campaign_id, actor=caller.name, now=datetime.now(UTC)
    )
    return service.version_out(row)


@router.read(
    "/v1/campaigns/{campaign_id}/models", "The campaign's fitted model versions, newest first"
)
async def list_models(campaign_id: CampaignId, session: Session) -> ModelVersionList:
    rows = await repository.versions(session, campaign_id)
    return ModelVersionList(items=[service.version_out(row) for row in rows])


@router.read(
    "/v1/campaigns/{campaign_id}/models/{version}",
    "One model version with its hold-out evaluation beside the current model's",
    NOT_FOUND,
)
async def get_model(campaign_id: CampaignId, version: Version, session: Session) -> ModelVersionOut:
    return service.version_out(await service.model_version(session, campaign_id, version))


@router.operation(
    "POST",
    "/v1/campaigns/{campaign_id}/models/{version}/promote",
    "Make the version the campaign's model (published to the scorer)",
    NOT_FOUND,
    CONFLICT,
    scope=None,  # the caller: Admin
)
async def promote_model(
    campaign_id: CampaignId, version: Version, session: Session, prefix: TopicPrefix, caller: Admin
) -> ModelVersionOut:
    row = await service.promote(
        session,
        campaign_id,
        version,
        actor=caller.name,
        now=datetime.now(UTC),
        topic_prefix=prefix,
    )
    return service.version_out(row)


@router.operation(
    "POST",
    "/v1/campaigns/{campaign_id}/models/rollback",
    "Back to the model the promoted version replaced (published to the scorer)",
    NOT_FOUND,
    CONFLICT,
    scope=None,  # the caller: Admin
)
async def rollback_model(
    campaign_id: CampaignId, session: Session, prefix: TopicPrefix, caller: Admin
) -> ModelVersionOut:
    row = await service.rollback(
        session,
        campaign_id,
        actor=caller.name,
        now=datetime.now(UTC),
        topic_prefix=prefix,
    )
    return service.version_out(row)


@router.read(
    "/v1/campaigns/{campaign_id}/models-audit",
    "Every fit, promotion and rollback of the campaign: who, when, with what figures",
)
async def model_audit(campaign_id: CampaignId, session: Session) -> AuditList:
    rows = await repository.audit(session, campaign_id)
    return AuditList(items=[service.audit_out(row) for row in rows])


@router.read(
    "/v1/ops/calibration", "Predicted against observed win rate by score decile, per campaign"
)
async def calibration(session: Session) -> CalibrationReport:
    return await service.calibration_report(session)
