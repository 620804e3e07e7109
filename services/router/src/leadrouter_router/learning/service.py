"""Use cases of the model fit: fit a candidate from a campaign's closed leads,
promote it (published on ``config.campaigns`` as any campaign change), roll back.
Every step leaves an audit row. Runs in the caller's transaction."""

import asyncio
import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.campaigns import repository as campaigns
from leadrouter_router.campaigns.models import CampaignRow
from leadrouter_router.campaigns.schemas import CampaignBody
from leadrouter_router.campaigns.service import campaign_out, save_campaign
from leadrouter_router.errors import Conflict
from leadrouter_router.learning import repository
from leadrouter_router.learning.examples import (
    MIN_CLOSED,
    Example,
    Metrics,
    NotEnoughOutcomesError,
)
from leadrouter_router.learning.models import ModelAuditRow, ModelVersionRow
from leadrouter_router.learning.schemas import (
    AuditOut,
    CalibrationReport,
    CampaignCalibration,
    EvaluationOut,
    MetricsOut,
    ModelVersionOut,
)
from leadrouter_router.platform.lookup import found
from leadrouter_runtime.problems import Problem
from leadrouter_schemas import ScoringModel
from leadrouter_schemas.default_scoring import DEFAULT_MODEL

log = structlog.get_logger(__name__)
RECENCY_RULE = "recency decay"


class NotEnoughOutcomes(Problem):
    status = 422
    title = "Not enough closed leads to fit a model"


def model_of(scoring: dict[str, Any] | None) -> ScoringModel:
    """A campaign's ``scoring`` column as a model (null: the default model)."""
    return DEFAULT_MODEL if scoring is None else ScoringModel.model_validate(scoring)


def example(received_at: datetime, score: int, scored: dict[str, Any], stage: str) -> Example:
    explanation = scored.get("score", {}).get("explanation", ())
    return Example(
        received_at=received_at,
        hits=tuple(line["rule"] for line in explanation if line["rule"] != RECENCY_RULE),
        source=str(scored.get("lead", {}).get("source", "")),
        score=score,
        won=stage == "won",
    )


async def _campaign(session: AsyncSession, campaign_id: str) -> CampaignRow:
    return found(await campaigns.get(session, campaign_id), f"No campaign {campaign_id}.")


async def model_version(session: AsyncSession, campaign_id: str, version: str) -> ModelVersionRow:
    """The campaign's model version, or 404."""
    return found(
        await repository.version(session, campaign_id, version),
        f"Campaign {campaign_id} has no model version {version}.",
    )


def _summary(evaluation: EvaluationOut) -> dict[str, float | None]:
    return {
        "current_auc": evaluation.current.auc,
        "candidate_auc": evaluation.candidate.auc,
        "current_brier": evaluation.current.brier,
        "candidate_brier": evaluation.candidate.brier,
        "current_lift_top_20": evaluation.current.lift_top_20,
        "candidate_lift_top_20": evaluation.candidate.lift_top_20,
        "tested_on": evaluation.tested_on,
    }


def _audit(
    session: AsyncSession,
    row: ModelVersionRow,
    action: str,
    *,
    actor: str,
    now: datetime,
    detail: str,
) -> None:
    session.add(
        ModelAuditRow(
            campaign_id=row.campaign_id,
            action=action,
            version=row.version,
            actor=actor,
            at=now,
            metrics=_summary(EvaluationOut.model_validate(row.evaluation)),
            detail=detail[:500],
        )
    )


async def fit_candidate(
    session: AsyncSession, campaign_id: str, *, actor: str, now: datetime
) -> ModelVersionRow:
    campaign = await _campaign(session, campaign_id)
    current = model_of(campaign.scoring)
    examples = [example(*row) for row in await repository.closed_leads(session, campaign_id)]
    number = await repository.count_versions(session, campaign_id) + 1
    version = f"{campaign_id}-cal{number}"
    from leadrouter_router.learning.fit import fit  # NumPy: not imported at start-up (#15)

    try:
        # scikit-learn takes a second or two on tens of thousands of leads: off the loop.
        fitted = await asyncio.to_thread(fit, examples, current, version=version)
    except NotEnoughOutcomesError as error:
        raise NotEnoughOutcomes(f"Campaign {campaign_id} has {error}.") from error
    evaluation = EvaluationOut.model_validate(dataclasses.asdict(fitted.evaluation))
    row = ModelVersionRow(
        campaign_id=campaign_id,
        version=version,
        status="candidate",
        model=fitted.model.model_dump(mode="json"),
        calibration=list(fitted.calibration),
        evaluation=evaluation.model_dump(mode="json"),
        based_on=current.version,
        replaced=None,
        created_at=now,
        created_by=actor,
        promoted_at=None,
    )
    session.add(row)
    _audit(session, row, "fit", actor=actor, now=now, detail=f"fitted from {current.version}")
    await session.flush()
    log.info("learning.fitted", campaign_id=campaign_id, version=version, **_summary(evaluation))
    return row


async def _publish_scoring(
    session: AsyncSession,
    campaign: CampaignRow,
    scoring: dict[str, Any] | None,
    *,
    now: datetime,
    topic_prefix: str,
) -> None:
    values = campaign_out(campaign).model_dump(
        mode="json", exclude={"campaign_id", "version", "updated_at"}
    )
    body = CampaignBody.model_validate({**values, "scoring": scoring})
    await save_campaign(session, campaign.campaign_id, body, now=now, topic_prefix=topic_prefix)


async def promote(
    session: AsyncSession,
    campaign_id: str,
    version: str,
    *,
    actor: str,
    now: datetime,
    topic_prefix: str,
) -> ModelVersionRow:
    campaign = await _campaign(session, campaign_id)
    row = await model_version(session, campaign_id, version)
    if row.status == "promoted":
        raise Conflict(f"{version} is the campaign's model already.")
    previous = await repository.promoted(session, campaign_id)
    if previous is not None:
        previous.status = "retired"
    row.replaced = campaign.scoring
    await _publish_scoring(session, campaign, row.model, now=now, topic_prefix=topic_prefix)
    row.status, row.promoted_at = "promoted", now
    _audit(
        session,
        row,
        "promote",
        actor=actor,
        now=now,
        detail=f"replaces {model_of(row.replaced).version}",
    )
    await session.flush()
    log.info("learning.promoted", campaign_id=campaign_id, version=version, actor=actor)
    return row


async def rollback(
    session: AsyncSession, campaign_id: str, *, actor: str, now: datetime, topic_prefix: str
) -> ModelVersionRow:
    """Back to the scoring the promoted version replaced (the default model, or an
    earlier version, which becomes the promoted one again)."""
    campaign = await _campaign(session, campaign_id)
    row = await repository.promoted(session, campaign_id)
    if row is None:
        raise Conflict(f"Campaign {campaign_id} has no promoted model to roll back.")
    await _publish_scoring(session, campaign, row.replaced, now=now, topic_prefix=topic_prefix)
    row.status = "retired"
    restored = model_of(row.replaced).version
    earlier = await repository.version(session, campaign_id, restored)
    if earlier is not None:
        earlier.status, earlier.promoted_at = "promoted", now
    _audit(session, row, "rollback", actor=actor, now=now, detail=f"back to {restored}")
    await session.flush()
    log.info("learning.rolled_back", campaign_id=campaign_id, version=row.version, actor=actor)
    return row


def version_out(row: ModelVersionRow) -> ModelVersionOut:
    return ModelVersionOut.model_validate(row, from_attributes=True)


def audit_out(row: ModelAuditRow) -> AuditOut:
    return AuditOut.model_validate(row, from_attributes=True)


def _metrics_out(metrics: Metrics) -> MetricsOut:
    return MetricsOut.model_validate(dataclasses.asdict(metrics))


async def calibration_report(session: AsyncSession) -> CalibrationReport:
    """Per campaign: the current scores' calibration by decile on the newest closed
    leads, and the newest fitted version's hold-out calibration."""
    from leadrouter_router.learning.fit import evaluate_scores  # NumPy: not at start-up (#15)

    by_campaign: dict[str, list[tuple[datetime, int, bool]]] = {}
    for campaign_id, received_at, score, stage in await repository.closed_scores(session):
        by_campaign.setdefault(campaign_id, []).append((received_at, score, stage == "won"))
    latest = {row.campaign_id: row for row in await repository.latest_with_evaluation(session)}
    rows = {row.campaign_id: row for row in await campaigns.all_campaigns(session)}
    report = []
    for campaign_id in sorted(set(by_campaign) | set(latest)):
        closed = by_campaign.get(campaign_id, [])
        current = None
        if _enough(closed):
            metrics, _ = evaluate_scores(
                [c[0] for c in closed], [c[1] for c in closed], [c[2] for c in closed]
            )
            current = _metrics_out(metrics)
        fitted = latest.get(campaign_id)
        campaign = rows.get(campaign_id)
        report.append(
            CampaignCalibration(
                campaign_id=campaign_id,
                closed=len(closed),
                model_version=model_of(campaign.scoring).version if campaign else None,
                current=current,
                candidate_version=fitted.version if fitted else None,
                candidate=(
                    EvaluationOut.model_validate(fitted.evaluation).candidate if fitted else None
                ),
            )
        )
    return CalibrationReport(campaigns=report, minimum_closed=MIN_CLOSED)


def _enough(closed: Sequence[tuple[datetime, int, bool]]) -> bool:
    won = sum(c[2] for c in closed)
    return len(closed) >= MIN_CLOSED and 0 < won < len(closed)
