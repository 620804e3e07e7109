"""``POST /v1/replays`` starts a replay of stored leads against a candidate policy,
``GET /v1/replays/{id}`` follows it and gives its report (admin scope; nothing is
written: docs/outcomes.md#replay)."""

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path, Request, Response

from leadrouter_router.platform.auth import NOT_FOUND, problem_entry
from leadrouter_router.platform.bodies import body_of
from leadrouter_router.platform.lookup import found
from leadrouter_router.platform.routes import ScopedRouter
from leadrouter_router.policies.service import check_references
from leadrouter_router.replay.jobs import ReplayJob, ReplayJobs
from leadrouter_router.replay.report import ReplayTally, SlaExposure
from leadrouter_router.replay.schemas import (
    LoadOut,
    MovedOut,
    ReplayIn,
    ReplayJobOut,
    ReplayReportOut,
    SlaExposureOut,
)
from leadrouter_router.replay.service import ReplayResult, replay_window
from leadrouter_router.reports.endpoints import EmptyPeriod
from leadrouter_router.state import Session, router_state
from leadrouter_runtime.parts import part
from leadrouter_runtime.problems import PROBLEM_RESPONSES

MOVED_SHOWN = 1000

router = ScopedRouter(prefix="/v1/replays", tags=["replay"])


def _jobs(request: Request) -> ReplayJobs:
    return part(request, ReplayJobs)


@router.operation(
    "POST",
    "",
    "Replay stored leads against a candidate policy (writes nothing)",
    PROBLEM_RESPONSES,
    {
        400: problem_entry("The window ends before it starts"),
        422: problem_entry("The body is not valid, or the policy names no such team"),
        409: problem_entry("A replay is running already"),
    },
    scope="admin",
    status_code=202,
)
async def start_replay(
    body: ReplayIn, request: Request, response: Response, session: Session
) -> ReplayJobOut:
    until = body.until or datetime.now(UTC)
    if until <= body.since:
        raise EmptyPeriod(f"since ({body.since.isoformat()}) must be before until.")
    if body.policy is not None:
        await check_references(session, body.policy)  # a 422 now, not a failed job later
    sessions = router_state(request).sessions

    async def run(job: ReplayJob) -> ReplayResult:
        # Its own session, rolled back at the end: a replay reads and never writes.
        async with sessions() as session:
            try:
                return await replay_window(
                    session,
                    since=body.since,
                    until=until,
                    campaign_id=body.campaign_id,
                    candidate=body.policy,
                    progress=job.progress,
                )
            finally:
                await session.rollback()

    job = _jobs(request).start(run)
    response.headers["Location"] = f"/v1/replays/{job.id}"
    return job_out(job)


@router.operation(
    "GET", "/{job_id}", "A replay's progress, and its report once done", NOT_FOUND, scope="admin"
)
async def get_replay(job_id: Annotated[uuid.UUID, Path()], request: Request) -> ReplayJobOut:
    job = found(
        _jobs(request).get(job_id),
        f"No replay {job_id} (the router keeps the last few, in memory).",
    )
    return job_out(job)


def job_out(job: ReplayJob) -> ReplayJobOut:
    out = ReplayJobOut.model_validate(job, from_attributes=True)  # all but the report
    out.report = report_out(job.result) if job.result is not None else None
    return out


def _exposure(found: SlaExposure) -> SlaExposureOut:
    return SlaExposureOut.model_validate(found, from_attributes=True)


def report_out(result: ReplayResult, *, moved_shown: int | None = MOVED_SHOWN) -> ReplayReportOut:
    """The report; ``moved_shown``: how many moved leads to list (None: all)."""
    tally: ReplayTally = result.tally
    return body_of(
        ReplayReportOut,
        result,  # the window, its campaign, the policy and whether leads were rescored
        leads=tally.leads,
        moved=len(tally.moved),
        changed=dict(tally.changed),
        recorded_owner_agreement=tally.agree_with_record / tally.recorded
        if tally.recorded
        else None,
        outcomes_of_moved=dict(tally.outcomes_of_moved),
        load=[
            body_of(LoadOut, row, name=result.people.get(row.salesperson_id))
            for row in tally.loads(result.people)
        ],
        gini_before=tally.gini("before", result.people),
        gini_after=tally.gini("after", result.people),
        sla_before=_exposure(tally.exposure("before")),
        sla_after=_exposure(tally.exposure("after")),
        moved_leads=[
            MovedOut(
                lead_id=moved.lead.id,
                received_at=moved.lead.received_at,
                campaign_id=moved.lead.data.lead.campaign_id,
                changes=list(moved.changes),
                grade_before=moved.before.grade,
                grade_after=moved.after.grade,
                mql_before=moved.before.is_mql,
                mql_after=moved.after.is_mql,
                owner_before=moved.before.owner,
                owner_after=moved.after.owner,
                decision_before=moved.before.outcome,
                decision_after=moved.after.outcome,
                via_after=moved.after.via,
                observed_outcome=moved.lead.outcome,
            )
            for moved in tally.moved[:moved_shown]
        ],
    )
