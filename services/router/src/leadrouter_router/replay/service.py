"""The use case: replay a window of stored leads against what is in force and against
a candidate (a policy, a scoring, or both), and tell the difference. Reads only; the
caller's transaction is never written to (docs/decisions/0701-replay-in-the-router-
scoring-from-the-caller.md)."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.policies.policy import Policy, PolicyDocument
from leadrouter_router.policies.service import check_references
from leadrouter_router.replay import repository
from leadrouter_router.replay.engine import Replay, Rescore
from leadrouter_router.replay.report import ReplayTally
from leadrouter_router.routing.snapshot import load_configuration

log = structlog.get_logger(__name__)

PAGE = 1000
CANDIDATE = "candidate"
Progress = Callable[[int, int], None]
"""(leads replayed so far, leads in the window)."""


@dataclass(frozen=True, slots=True)
class ReplayResult:
    since: datetime
    until: datetime
    campaign_id: str | None
    policy: str
    """What the candidate changed: ``current`` or ``candidate``."""
    rescored: bool
    tally: ReplayTally
    people: dict[uuid.UUID, str]
    """Everyone, id -> name."""


async def replay_window(
    session: AsyncSession,
    *,
    since: datetime,
    until: datetime,
    campaign_id: str | None = None,
    candidate: PolicyDocument | None = None,
    rescore: Rescore | None = None,
    progress: Progress | None = None,
) -> ReplayResult:
    if candidate is not None:
        await check_references(session, candidate)
    configuration = await load_configuration(session)
    versions = await repository.policy_versions(session)
    holding = await repository.open_at(session, since)
    campaigns = await repository.all_campaigns(session)
    total = await repository.count_leads(session, since=since, until=until, campaign_id=campaign_id)
    before = Replay(configuration, policy_versions=versions, open_at_start=holding)
    after = Replay(
        configuration,
        policy_versions=versions,
        open_at_start=holding,
        candidate=Policy(name=CANDIDATE, version=1, document=candidate) if candidate else None,
        rescore=rescore,
    )
    tally = ReplayTally()
    last: tuple[datetime, uuid.UUID] | None = None
    while True:
        page = await repository.leads_page(
            session,
            since=since,
            until=until,
            campaign_id=campaign_id,
            after=last,
            limit=PAGE,
            campaigns=campaigns,
        )
        if not page:
            break
        for lead in page:
            tally.add(lead, before.decide(lead), after.decide(lead))
        last = (page[-1].received_at, page[-1].id)
        if progress is not None:
            progress(tally.leads, total)
    log.info(
        "replay.done",
        leads=tally.leads,
        moved=len(tally.moved),
        since=since.isoformat(),
        candidate_policy=candidate is not None,
        rescored=rescore is not None,
    )
    return ReplayResult(
        since=since,
        until=until,
        campaign_id=campaign_id,
        policy=CANDIDATE if candidate is not None else "current",
        rescored=rescore is not None,
        tally=tally,
        people={person.id: person.name for person in configuration.people.values()},
    )
