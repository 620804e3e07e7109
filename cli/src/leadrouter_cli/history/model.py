"""The generative model behind ``leadrouter demo history`` (docs/outcomes.md#history),
as pure functions of a seed: who the leads are, how fast they are touched, and what
becomes of them. Nothing here reads a clock or a database.

A lead's fate, in order:

1. Its features are drawn (company size, industry, role, country, product line,
   requested action, budget, timeline, platform) and it is scored by the campaign's
   real scoring model, so its explanation lines are the rule hits the router stores.
2. It is assigned round-robin; each salesperson has a speed (median minutes to
   accept, then to the first touch). A campaign with an SLA re-assigns the lead
   when a deadline is missed (as the router's checker would), to someone who never
   had it; with nobody left it waits unassigned.
3. The time from reception to the first touch (``T``) plants the leak: the lead is
   unreachable with probability ``u(T)``, else it bought elsewhere with ``b(T)``;
   both rise with ``T``. Otherwise it is won with probability ``sigmoid(eta)``,
   ``eta`` being :data:`INTERCEPT` plus the planted weight of each rule hit and of
   the platform (:data:`PLANTED`, :data:`SOURCE_WEIGHTS`), else lost.

Speed is drawn independently of the lead's features, so at scoring time the chance
to win is ``c * sigmoid(eta)`` with ``c`` the campaign's average of
``(1 - u(T)) * (1 - b(T))``: :func:`planted_win_probability` is the best any
score can do, the yardstick of the fitted model's tests.
"""

import math
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final, TypeVar

from leadrouter_schemas import (
    Attribution,
    Company,
    Consent,
    Contact,
    Lead,
    LeadScoredData,
    ScoringModel,
)
from leadrouter_scorer.scoring.score import score

# Planted win weights (log-odds) of each explanation line of the default model
# (``rule: label``). They disagree with the expert points on purpose: the expert
# model overrates a known country and downloads, underrates a stated budget and
# a timeline, so a model fitted to outcomes has something to find.
PLANTED: Final[dict[str, float]] = {
    "company size: 1000+ employees": 0.9,
    "company size: 200-999 employees": 0.7,
    "company size: 50-199 employees": 0.4,
    "company size: 10-49 employees": 0.1,
    "company size: under 10 employees": -0.3,
    "industry: target industry": 0.6,
    "industry: adjacent industry": 0.3,
    "industry: other industry": 0.0,
    "role and seniority: executive": 0.8,
    "role and seniority: vice president or head": 0.7,
    "role and seniority: director": 0.5,
    "role and seniority: manager or lead": 0.3,
    "role and seniority: student": -1.6,
    "role and seniority: other role": 0.0,
    "country: country known": 0.0,
    "product line: product line named": 0.5,
    "campaign type: demo request campaign": 0.3,
    "campaign type: event or webinar": 0.1,
    "campaign type: content campaign": 0.0,
    "requested action: demo or trial": 1.0,
    "requested action: quote or pricing": 1.2,
    "requested action: contact request": 0.6,
    "requested action: download": -0.3,
    "requested action: other request": 0.0,
    "stated budget: no budget": -0.4,
    "stated budget: budget stated": 0.9,
    "timeline: buying now": 1.1,
    "timeline: within months": 0.4,
    "timeline: later or undecided": -0.5,
}
SOURCE_WEIGHTS: Final[dict[str, float]] = {
    "generic": 0.0,
    "hubspot": 0.3,
    "facebook": -0.5,
    "google_ads": 0.1,
    "typeform": 0.0,
}
INTERCEPT: Final = -3.0


def unreachable_probability(first_touch_hours: float) -> float:
    """``u(T)``: the slower the first touch, the likelier nobody answers."""
    return 0.05 + 0.10 * (1 - math.exp(-first_touch_hours / 24))


def elsewhere_probability(first_touch_hours: float) -> float:
    """``b(T)``: the planted leak. 5 minutes: 4%; 1 hour: 9%; 4 hours: 21%; a day: 46%."""
    return 0.035 + 0.45 * (1 - math.exp(-first_touch_hours / 8))


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def win_logit(rule_hits: Sequence[str], source: str) -> float:
    """``eta``: the planted log-odds of winning a reached lead that did not buy elsewhere."""
    return (
        INTERCEPT + sum(PLANTED.get(hit, 0.0) for hit in rule_hits) + SOURCE_WEIGHTS.get(source, 0)
    )


# -- who the leads are --------------------------------------------------------------

_SIZES = ((5, 0.15), (30, 0.25), (120, 0.25), (450, 0.2), (2500, 0.15))
_INDUSTRIES = (
    ("Software", 0.15),
    ("SaaS", 0.08),
    ("Fintech", 0.07),
    ("Financial services", 0.12),
    ("Manufacturing", 0.13),
    ("Retail", 0.15),
    ("Education", 0.15),
    (None, 0.15),
)
_TITLES = (
    ("CEO", 0.04),
    ("CTO", 0.03),
    ("Founder", 0.03),
    ("VP Sales", 0.06),
    ("Head of Marketing", 0.06),
    ("IT Director", 0.15),
    ("Marketing Manager", 0.15),
    ("Team Lead", 0.1),
    ("Student", 0.08),
    ("Software Engineer", 0.2),
    (None, 0.1),
)
_INTEREST = (
    ("demo", 0.22),
    ("pricing", 0.13),
    ("contact", 0.15),
    ("whitepaper download", 0.3),
    ("other", 0.1),
    (None, 0.1),
)
_BUDGET = (("50k", 0.3), ("none", 0.2), (None, 0.5))
_TIMELINE = (("this quarter", 0.15), ("next quarter", 0.3), ("next year", 0.25), (None, 0.3))
_SOURCES = (
    ("generic", 0.3),
    ("hubspot", 0.2),
    ("facebook", 0.25),
    ("google_ads", 0.15),
    ("typeform", 0.1),
)
_COUNTRIES = (("ES", 0.25), ("DE", 0.2), ("FR", 0.15), ("GB", 0.15), ("US", 0.15), (None, 0.1))
_FIRST = ("Ada", "Grace", "Alan", "Margaret", "Linus", "Barbara", "Dennis", "Frances", "Hedy")
_LAST = ("Lovelace", "Hopper", "Turing", "Hamilton", "Torvalds", "Liskov", "Ritchie", "Lamarr")
LOST_REASONS: Final = ("no budget", "chose to wait", "not a fit", "went quiet after the demo")


T = TypeVar("T")


def _pick(rng: random.Random, options: Sequence[tuple[T, float]]) -> T:
    values = [value for value, _ in options]
    weights = [weight for _, weight in options]
    return rng.choices(values, weights)[0]


@dataclass(frozen=True, slots=True)
class HistoryCampaign:
    campaign_id: str
    kind: str
    share: float
    """Of all the leads."""
    model: ScoringModel
    accept_within_minutes: int | None = None
    first_touch_within_minutes: int | None = None


@dataclass(frozen=True, slots=True)
class Seller:
    id: uuid.UUID
    accept_median_minutes: float
    touch_median_minutes: float
    """After accepting."""


def draw_lead(
    index: int,
    *,
    campaign: HistoryCampaign,
    received_at: datetime,
    rng: random.Random,
) -> Lead:
    source = _pick(rng, _SOURCES)
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    company_number = rng.randrange(4000)
    domain = f"company{company_number}.example"
    answers = {
        key: value
        for key, value in (
            ("interest", _pick(rng, _INTEREST)),
            ("budget", _pick(rng, _BUDGET)),
            ("timeline", _pick(rng, _TIMELINE)),
            ("product", "Analytics" if rng.random() < 0.4 else None),
        )
        if value is not None
    }
    submitted_at = received_at - timedelta(seconds=rng.uniform(1, 90))
    return Lead(
        lead_key=f"{source}:history-{index}",
        source=source,
        external_id=f"history-{index}",
        campaign_id=campaign.campaign_id,
        submitted_at=submitted_at,
        received_at=received_at,
        contact=Contact(
            email=f"{first}.{last}.{index}@{domain}".lower(),
            first_name=first,
            last_name=last,
            job_title=_pick(rng, _TITLES),
            country=_pick(rng, _COUNTRIES),
        ),
        company=Company(
            name=f"Company {company_number}",
            domain=domain,
            employees=max(1, round(_pick(rng, _SIZES) * rng.uniform(0.6, 1.6))),
            industry=_pick(rng, _INDUSTRIES),
        ),
        consent=Consent(
            given=True,
            text="I agree to be contacted about this offer.",
            given_at=submitted_at,
            ip=f"192.0.2.{index % 250 + 1}",
        ),
        answers=answers,
        attribution=Attribution(utm_source=source, utm_medium="history"),
    )


def scored(lead: Lead, campaign: HistoryCampaign) -> LeadScoredData:
    assert lead.received_at is not None
    result = score(
        lead,
        campaign.model,
        campaign_kind=campaign.kind,
        age=lead.received_at - lead.submitted_at,
    )
    return LeadScoredData(lead=lead, score=result)


def rule_hits(data: LeadScoredData) -> tuple[str, ...]:
    """The explanation lines that name a rule's case (the recency line is a decay)."""
    return tuple(line.rule for line in data.score.explanation if line.rule != "recency decay")


# -- what becomes of them ------------------------------------------------------------


@dataclass(slots=True)
class Step:
    """One assignment of the lead and what happened in it (times, or None: not yet)."""

    salesperson_id: uuid.UUID
    assigned_at: datetime
    accept_due_at: datetime | None = None
    touch_due_at: datetime | None = None
    accepted_at: datetime | None = None
    first_touch_at: datetime | None = None
    ended_at: datetime | None = None
    stage: str = "new"
    end_reason: str | None = None


@dataclass(slots=True)
class Story:
    """One lead of the history: what was drawn, what was planted, what happened."""

    data: LeadScoredData
    campaign: HistoryCampaign
    received_at: datetime
    win_logit: float
    steps: list[Step] = field(default_factory=list)
    outcome: str | None = None
    """won, lost, bought_elsewhere or unreachable; None: still open."""
    outcome_at: datetime | None = None
    value: float | None = None
    reason: str | None = None

    @property
    def status(self) -> str:
        if self.outcome is not None:
            return "closed"
        return "assigned" if self.steps and self.steps[-1].ended_at is None else "unassigned"

    @property
    def first_touch_at(self) -> datetime | None:
        return next((s.first_touch_at for s in self.steps if s.first_touch_at), None)


def _lognormal_minutes(rng: random.Random, median: float, sigma: float) -> timedelta:
    return timedelta(minutes=median * math.exp(rng.gauss(0, sigma)))


def live(
    story: Story, *, sellers: Sequence[Seller], start: int, now: datetime, rng: random.Random
) -> None:
    """Play the lead's assignments and outcome; nothing after ``now`` happens."""
    campaign = story.campaign
    at = story.received_at + timedelta(seconds=rng.uniform(0.2, 3))
    for offset in range(len(sellers)):
        seller = sellers[(start + offset) % len(sellers)]
        if at > now:
            return
        step = Step(salesperson_id=seller.id, assigned_at=at)
        if campaign.accept_within_minutes:
            step.accept_due_at = at + timedelta(minutes=campaign.accept_within_minutes)
        if campaign.first_touch_within_minutes:
            step.touch_due_at = at + timedelta(minutes=campaign.first_touch_within_minutes)
        story.steps.append(step)
        accepted = at + _lognormal_minutes(rng, seller.accept_median_minutes, 1.2)
        touched = accepted + _lognormal_minutes(rng, seller.touch_median_minutes, 1.4)
        missed = None
        if step.accept_due_at is not None and accepted > step.accept_due_at:
            missed = ("accept", step.accept_due_at)
        elif step.touch_due_at is not None and touched > step.touch_due_at:
            missed = ("first_touch", step.touch_due_at)
        if missed is not None:
            target, due = missed
            if target == "first_touch" and accepted <= now:
                step.stage, step.accepted_at = "accepted", accepted
            if due > now:
                return
            step.stage, step.ended_at, step.end_reason = "breached", due, f"sla_{target} missed"
            at = due + timedelta(seconds=rng.uniform(0.2, 3))
            continue
        _work(story, step, accepted=accepted, touched=touched, now=now, rng=rng)
        return


def _work(
    story: Story,
    step: Step,
    *,
    accepted: datetime,
    touched: datetime,
    now: datetime,
    rng: random.Random,
) -> None:
    if accepted > now:
        return
    step.stage, step.accepted_at = "accepted", accepted
    if touched > now:
        return
    step.stage, step.first_touch_at = "contacted", touched
    hours = (touched - story.received_at).total_seconds() / 3600
    if rng.random() < unreachable_probability(hours):
        outcome, days = "unreachable", 4.0
    elif rng.random() < elsewhere_probability(hours):
        outcome, days = "bought_elsewhere", 3.0
    elif rng.random() < sigmoid(story.win_logit):
        outcome, days = "won", 8.0
    else:
        outcome, days = "lost", 6.0
    closed = touched + timedelta(days=days * math.exp(rng.gauss(0, 0.6)))
    if closed > now:
        return
    step.stage, step.ended_at, step.end_reason = outcome, closed, outcome
    story.outcome, story.outcome_at = outcome, closed
    if outcome == "won":
        employees = story.data.lead.company.employees or 10
        story.value = round(2000 * math.sqrt(employees) * math.exp(rng.gauss(0, 0.4)), -1)
    elif outcome == "lost":
        story.reason = rng.choice(LOST_REASONS)
        step.end_reason = story.reason


def generate(
    *,
    leads: int,
    days: float,
    seed: int,
    now: datetime,
    campaigns: Sequence[HistoryCampaign],
    sellers: Sequence[Seller],
) -> list[Story]:
    """``leads`` stories received over the ``days`` before ``now``, oldest first."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    span = timedelta(days=days).total_seconds()
    times = sorted(now - timedelta(seconds=rng.uniform(0, span)) for _ in range(leads))
    shares = [(c, c.share) for c in campaigns]
    stories = []
    for index, received_at in enumerate(times):
        campaign = _pick(rng, shares)
        lead = draw_lead(index, campaign=campaign, received_at=received_at, rng=rng)
        data = scored(lead, campaign)
        story = Story(
            data=data,
            campaign=campaign,
            received_at=received_at,
            win_logit=win_logit(rule_hits(data), lead.source),
        )
        live(story, sellers=sellers, start=index, now=now, rng=rng)
        stories.append(story)
    return stories


def planted_win_probability(story: Story, reach: float) -> float:
    """The chance to win as known at scoring time: ``reach * sigmoid(eta)``, ``reach``
    being the campaign's share of leads reached and not lost to a competitor."""
    return reach * sigmoid(story.win_logit)


def new_id(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)
