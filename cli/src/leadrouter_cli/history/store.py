"""Writes a generated history into the router's database through the router's own
models and repositories: its campaigns (saved as the API saves them, so they are
published on ``config.campaigns`` when the router starts), the demo team when there
is nobody, then leads, assignments and CRM callbacks in bulk inserts.

The history is the past: its callbacks are recorded, not announced again on
``leads.outcomes``, and it carries no routing decision records (the history's
round-robin stands in for the routing engine, docs/outcomes.md#history).
"""

import random
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_cli.history.model import (
    HistoryCampaign,
    Seller,
    Step,
    Story,
    generate,
    new_id,
)
from leadrouter_router.campaigns import repository as campaigns
from leadrouter_router.campaigns.schemas import CampaignBody, Sla
from leadrouter_router.campaigns.service import save_campaign
from leadrouter_router.demo import seed_demo_team
from leadrouter_router.leads import repository as leads
from leadrouter_router.outcomes import repository as outcomes
from leadrouter_router.outcomes.schemas import CallbackOut
from leadrouter_router.routing import repository as routing
from leadrouter_router.routing.facts import LeadFacts
from leadrouter_router.salespeople import repository as salespeople
from leadrouter_schemas import ValidationCriteria
from leadrouter_scorer.scoring.default_model import DEFAULT_MODEL

# Each salesperson's speed in turn (median minutes to accept, then to the first
# touch): one fast, one average, one slow, so speed varies as it does in real teams.
SPEEDS: Final = ((2.0, 4.0), (12.0, 40.0), (40.0, 200.0), (90.0, 600.0))
CHUNK: Final = 2000
CURRENCY: Final = "EUR"

# The campaigns of ``make run`` (deploy/demo/run.py), with service levels on one.
HISTORY_CAMPAIGNS: Final = (
    HistoryCampaign(
        campaign_id="spring-demo",
        kind="demo_request",
        share=0.6,
        model=DEFAULT_MODEL,
        accept_within_minutes=60,
        first_touch_within_minutes=480,
    ),
    HistoryCampaign(campaign_id="whitepaper-2026", kind="content", share=0.4, model=DEFAULT_MODEL),
)
_NAMES: Final = {"spring-demo": "Spring demo days", "whitepaper-2026": "Whitepaper 2026"}


class HistoryRefusedError(Exception):
    """The database is not one to fill (it has leads already)."""


@dataclass(frozen=True, slots=True)
class Written:
    leads: int
    assignments: int
    callbacks: int
    outcomes: Counter[str]


def campaign_body(campaign: HistoryCampaign) -> CampaignBody:
    criteria = ValidationCriteria(reject_free_email=campaign.kind == "content")
    return CampaignBody.model_validate(
        {
            "name": _NAMES.get(campaign.campaign_id, campaign.campaign_id),
            "kind": campaign.kind,
            "criteria": criteria.model_dump(mode="json"),
            "sla": Sla(
                accept_within_minutes=campaign.accept_within_minutes,
                first_touch_within_minutes=campaign.first_touch_within_minutes,
            ).model_dump(mode="json"),
        }
    )


async def fill(
    session: AsyncSession,
    *,
    leads_count: int,
    days: float,
    seed: int,
    now: datetime,
    topic_prefix: str = "",
    history_campaigns: Sequence[HistoryCampaign] = HISTORY_CAMPAIGNS,
    progress: Callable[[int], None] | None = None,
) -> Written:
    """Generate and store the history, in the caller's transaction."""
    existing = await leads.count_leads(session)
    if existing:
        raise HistoryRefusedError(
            f"the database has {existing} leads already; demo history fills an empty one"
        )
    for campaign in history_campaigns:
        if await campaigns.get(session, campaign.campaign_id) is None:
            await save_campaign(
                session,
                campaign.campaign_id,
                campaign_body(campaign),
                now=now,
                topic_prefix=topic_prefix,
            )
    if not await salespeople.count(session):
        await seed_demo_team(session, now=now)
    people = await salespeople.all_salespeople(session)
    sellers = [
        Seller(person.id, *SPEEDS[position % len(SPEEDS)]) for position, person in enumerate(people)
    ]
    stories = generate(
        leads=leads_count,
        days=days,
        seed=seed,
        now=now,
        campaigns=history_campaigns,
        sellers=sellers,
    )
    ids = random.Random(seed)  # noqa: S311 - ids of demo data
    written = Written(0, 0, 0, Counter())
    for chunk in _chunks(stories, CHUNK):
        rows = _Rows()
        for story in chunk:
            rows.add(story, ids=ids, seed=seed, number=written.leads + len(rows.leads))
        await routing.insert_batch(
            session, leads=rows.leads, decisions=(), assignments=rows.assignments, messages=()
        )
        await outcomes.insert_callbacks(session, rows.callbacks)
        written = Written(
            written.leads + len(rows.leads),
            written.assignments + len(rows.assignments),
            written.callbacks + len(rows.callbacks),
            written.outcomes + Counter(s.outcome or s.status for s in chunk),
        )
        if progress is not None:
            progress(len(chunk))
    return written


T = TypeVar("T")


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Rows:
    def __init__(self) -> None:
        self.leads: list[dict[str, Any]] = []
        self.assignments: list[dict[str, Any]] = []
        self.callbacks: list[dict[str, Any]] = []

    def add(self, story: Story, *, ids: random.Random, seed: int, number: int) -> None:
        lead_id = new_id(ids)
        facts = LeadFacts.from_scored(story.data, received_at=story.received_at)
        last = story.steps[-1] if story.steps else None
        owner = last.salesperson_id if last is not None and last.stage != "breached" else None
        self.leads.append(
            {
                "id": lead_id,
                "scored_event_id": new_id(ids),
                "lead_key": facts.lead_key,
                "correlation_id": f"history-{seed}-{number}",
                "campaign_id": facts.campaign_id,
                "email": story.data.lead.contact.email,
                "email_key": facts.email_key,
                "phone_key": facts.phone_key,
                "company_domain": facts.company_domain,
                "score": facts.score,
                "grade": facts.grade,
                "value": facts.value,
                "status": story.status,
                "scored": story.data.model_dump_json(),
                "received_at": story.received_at,
                "owner_id": owner,
                "merged_into_id": None,
            }
        )
        events = 0
        for step in story.steps:
            assignment_id = new_id(ids)
            self.assignments.append(_assignment(step, lead_id=lead_id, assignment_id=assignment_id))
            final = step is last and story.outcome is not None
            for action, outcome, at in _callbacks(step, story, final=final):
                events += 1
                event_id = f"history-{seed}-{number}-{events}"
                answer = CallbackOut(
                    lead_id=lead_id,
                    event_id=event_id,
                    outcome=outcome,
                    stage=outcome if action == "outcome" else _stage_after(action),
                    lead_status="closed" if action == "outcome" else "assigned",
                    owner_id=step.salesperson_id,
                )
                self.callbacks.append(
                    {
                        "id": new_id(ids),
                        "event_id": event_id,
                        "lead_id": lead_id,
                        "assignment_id": assignment_id,
                        "salesperson_id": step.salesperson_id,
                        "action": action,
                        "outcome": outcome,
                        "channel": "call" if action == "activity" else None,
                        "reason": story.reason if action == "outcome" else None,
                        "value": story.value if action == "outcome" else None,
                        "currency": CURRENCY if action == "outcome" and story.value else None,
                        "answer": answer.model_dump(mode="json"),
                        "recorded_at": at,
                    }
                )


def _stage_after(action: str) -> str:
    return {"accept": "accepted", "activity": "contacted"}[action]


def _callbacks(step: Step, story: Story, *, final: bool) -> Iterator[tuple[str, str, datetime]]:
    if step.accepted_at is not None:
        yield "accept", "accepted", step.accepted_at
    if step.first_touch_at is not None:
        yield "activity", "contacted", step.first_touch_at
    if final:
        assert story.outcome is not None
        assert story.outcome_at is not None
        yield "outcome", story.outcome, story.outcome_at


def _assignment(step: Step, *, lead_id: uuid.UUID, assignment_id: uuid.UUID) -> dict[str, Any]:
    return {
        "id": assignment_id,
        "lead_id": lead_id,
        "salesperson_id": step.salesperson_id,
        "decision_id": None,
        "pool": "demo",
        "strategy": "round_robin",
        "reason": "demo history: round robin in the demo team",
        "assigned_at": step.assigned_at,
        "stage": step.stage,
        "sla_armed": True,
        "accept_due_at": step.accept_due_at,
        "touch_due_at": step.touch_due_at,
        "accepted_at": step.accepted_at,
        "first_touch_at": step.first_touch_at,
        "ended_at": step.ended_at,
        "end_reason": step.end_reason,
    }
