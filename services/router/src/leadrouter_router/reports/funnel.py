"""The funnel report as pure aggregation over plain facts (no session, no clock).

Per campaign and period, everything the webhooks accepted is in ``received``: the
scored leads the router stored (valid or merged) plus the leads the scorer
rejected, each counted once by its event id. ``valid`` leaves out the merged ones
(an earlier lead of the same person) and ``rejected`` is the rejected ones, so
``received = valid + merged + rejected``. ``rejected_by_reason`` counts, per
reason code, the rejected leads that failed it (a lead may fail several, so these
add up to ``rejected`` or more). Rates are shares of ``valid``, except
``rates["valid"]`` = valid / received. Everything counts in the period in which
it was received: a stored lead by its ``received_at`` (when the router got the
scored event), a rejected one by its webhook's reception time (else, when it
came another way, its rejection time); see
docs/decisions/0604-rejections-counted-by-the-router.md.
"""

import math
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

FINAL_OUTCOMES = ("won", "lost", "bought_elsewhere", "unreachable")
STEPS = ("assigned", "accepted", "contacted", *FINAL_OUTCOMES)


@dataclass(frozen=True, slots=True)
class LeadFact:
    id: uuid.UUID
    campaign_id: str
    received_at: datetime
    status: str


@dataclass(frozen=True, slots=True)
class RejectionFact:
    campaign_id: str
    reason_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AssignmentFact:
    lead_id: uuid.UUID
    salesperson_id: uuid.UUID
    pool: str | None
    assigned_at: datetime
    stage: str
    accepted_at: datetime | None = None
    first_touch_at: datetime | None = None
    accept_due_at: datetime | None = None
    touch_due_at: datetime | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Spread:
    count: int
    p50_s: float | None
    p90_s: float | None


@dataclass(frozen=True, slots=True)
class CampaignFunnel:
    campaign_id: str
    received: int
    valid: int
    rejected: int
    rejected_by_reason: Mapping[str, int]
    counts: Mapping[str, int]
    rates: Mapping[str, float | None]
    time_to_assign: Spread
    time_to_first_touch: Spread


@dataclass(frozen=True, slots=True)
class SalespersonLoad:
    salesperson_id: uuid.UUID
    assignments: int
    open: int
    sla_met: int
    sla_missed: int
    sla_hit_rate: float | None
    worked: int
    won: int
    conversion: float | None


@dataclass(frozen=True, slots=True)
class PoolFairness:
    pool: str
    members: int
    assignments: int
    gini: float | None


@dataclass(slots=True)
class _Tally:
    met: int = 0
    missed: int = 0
    counts: Counter[str] = field(default_factory=Counter)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def gini(values: Sequence[float]) -> float | None:
    """0: everyone got the same; towards 1: one got everything. None: nobody to compare."""
    if not values:
        return None
    total = sum(values)
    if total == 0:
        return 0.0
    ordered = sorted(values)
    n = len(ordered)
    weighted = sum(rank * value for rank, value in enumerate(ordered, start=1))
    return (2 * weighted) / (n * total) - (n + 1) / n


def _spread(seconds: list[float]) -> Spread:
    return Spread(len(seconds), percentile(seconds, 0.5), percentile(seconds, 0.9))


def campaign_funnels(
    leads: Iterable[LeadFact],
    assignments: Iterable[AssignmentFact],
    rejections: Iterable[RejectionFact] = (),
) -> list[CampaignFunnel]:
    by_lead: dict[uuid.UUID, list[AssignmentFact]] = defaultdict(list)
    for assignment in assignments:
        by_lead[assignment.lead_id].append(assignment)
    grouped: dict[str, list[LeadFact]] = defaultdict(list)
    for lead in leads:
        grouped[lead.campaign_id].append(lead)
    rejected: Counter[str] = Counter()
    by_reason: dict[str, Counter[str]] = defaultdict(Counter)
    for rejection in rejections:
        rejected[rejection.campaign_id] += 1
        by_reason[rejection.campaign_id].update(set(rejection.reason_codes))
    funnels = []
    # A campaign whose every lead was rejected in the period is still reported.
    for campaign_id in sorted(grouped.keys() | rejected.keys()):
        counts: Counter[str] = Counter()
        to_assign: list[float] = []
        to_touch: list[float] = []
        received = len(grouped[campaign_id]) + rejected[campaign_id]
        valid = 0
        for lead in grouped[campaign_id]:
            if lead.status == "merged":
                continue
            valid += 1
            own = by_lead.get(lead.id, [])
            if not own:
                continue
            counts["assigned"] += 1
            to_assign.append((min(a.assigned_at for a in own) - lead.received_at).total_seconds())
            if any(a.accepted_at is not None for a in own):
                counts["accepted"] += 1
            touches = [a.first_touch_at for a in own if a.first_touch_at is not None]
            if touches:
                counts["contacted"] += 1
                to_touch.append((min(touches) - lead.received_at).total_seconds())
            final = next((a.stage for a in own if a.stage in FINAL_OUTCOMES), None)
            if final is not None:
                counts[final] += 1
        reasons = by_reason[campaign_id]
        funnels.append(
            CampaignFunnel(
                campaign_id=campaign_id,
                received=received,
                valid=valid,
                rejected=rejected[campaign_id],
                # Most frequent first, ties by code: the order a reader wants.
                rejected_by_reason=dict(sorted(reasons.items(), key=lambda i: (-i[1], i[0]))),
                counts={step: counts[step] for step in STEPS},
                rates={"valid": valid / received if received else None}
                | {step: counts[step] / valid if valid else None for step in STEPS},
                time_to_assign=_spread(to_assign),
                time_to_first_touch=_spread(to_touch),
            )
        )
    return funnels


def sla_of(assignment: AssignmentFact) -> tuple[int, int]:
    """(met, missed) targets of one assignment; a target still running counts neither."""
    met = missed = 0
    for due, done in (
        (assignment.accept_due_at, assignment.accepted_at),
        (assignment.touch_due_at, assignment.first_touch_at),
    ):
        if due is None:
            continue
        if done is not None:
            met, missed = (met + 1, missed) if done <= due else (met, missed + 1)
        elif (
            assignment.stage == "breached"
            and assignment.ended_at is not None
            and due <= assignment.ended_at
        ):
            missed += 1
    return met, missed


def salesperson_loads(assignments: Iterable[AssignmentFact]) -> list[SalespersonLoad]:
    tallies: dict[uuid.UUID, _Tally] = defaultdict(_Tally)
    for assignment in assignments:
        tally = tallies[assignment.salesperson_id]
        tally.counts["assignments"] += 1
        if assignment.stage in ("new", "accepted", "contacted"):
            tally.counts["open"] += 1
        if assignment.stage not in ("rejected", "breached"):
            tally.counts["worked"] += 1
        if assignment.stage == "won":
            tally.counts["won"] += 1
        met, missed = sla_of(assignment)
        tally.met += met
        tally.missed += missed
    return [
        SalespersonLoad(
            salesperson_id=person,
            assignments=tally.counts["assignments"],
            open=tally.counts["open"],
            sla_met=tally.met,
            sla_missed=tally.missed,
            sla_hit_rate=tally.met / (tally.met + tally.missed)
            if tally.met + tally.missed
            else None,
            worked=tally.counts["worked"],
            won=tally.counts["won"],
            conversion=tally.counts["won"] / tally.counts["worked"]
            if tally.counts["worked"]
            else None,
        )
        for person, tally in sorted(tallies.items(), key=lambda item: str(item[0]))
    ]


def pool_fairness(
    assignments: Iterable[AssignmentFact], members: Mapping[str, Iterable[uuid.UUID]]
) -> list[PoolFairness]:
    """Gini of the assignments per member of each pool: members who got nothing count."""
    per_pool: dict[str, Counter[uuid.UUID]] = defaultdict(Counter)
    for pool, people in members.items():
        for person in people:
            per_pool[pool][person] += 0
    for assignment in assignments:
        if assignment.pool is not None:
            per_pool[assignment.pool][assignment.salesperson_id] += 1
    return [
        PoolFairness(
            pool=pool,
            members=len(counts),
            assignments=sum(counts.values()),
            gini=gini([float(c) for c in counts.values()]),
        )
        for pool, counts in sorted(per_pool.items())
    ]
