"""Where leads leak: outcome rates by a cause, as pure aggregation over plain facts.

A lead counts once, in the period in which it was received, when it was assigned
at least once (merged leads left out). Its outcome is the final stage of its
assignments (``won``, ``lost``, ``bought_elsewhere``, ``unreachable``), else it is
``open``. Rates are shares of the ``closed`` leads of the group (an open lead has
no outcome yet, and counting it would make a recent group look better or worse
than it is), each with a 95% Wilson interval, so a small group shows how little
it says.

The causes, one breakdown each:
- time to first touch: from reception to the first recorded activity, whoever
  made it, in buckets up to 5 min, 30 min, 1 h, 4 h, 1 day, later, or never
  touched (an outcome may follow an accept without activity);
- the lead's grade and source (the platform it came from);
- the salesperson and pool of the assignment that closed it (else its latest);
- SLA: missed when any of its assignments missed a target, met when every target
  set was met, ``none`` when no target applied (or one is still running).
"""

import math
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from leadrouter_router.reports.funnel import FINAL_OUTCOMES, AssignmentFact, sla_of

OPEN = "open"
NOT_TOUCHED = "not touched"
TOUCH_BUCKETS: tuple[tuple[str, float | None], ...] = (
    ("5 min", 5 * 60),
    ("30 min", 30 * 60),
    ("1 h", 3600),
    ("4 h", 4 * 3600),
    ("1 day", 24 * 3600),
    ("later", None),
)
"""(label, upper bound in seconds, included); ``later`` has none."""
SLA_GROUPS = ("met", "missed", "none")
GRADES = ("A", "B", "C", "D")
_Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class LeakLead:
    id: uuid.UUID
    grade: str
    source: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class LeakRow:
    key: str
    leads: int
    open: int
    closed: int
    outcomes: dict[str, int]
    rates: dict[str, float | None]
    """Share of ``closed``; None when nothing closed."""
    intervals: dict[str, tuple[float, float] | None]
    """95% Wilson interval of each rate."""


@dataclass(frozen=True, slots=True)
class Leakage:
    leads: int
    closed: int
    overall: LeakRow
    by_time_to_first_touch: list[LeakRow]
    by_grade: list[LeakRow]
    by_source: list[LeakRow]
    by_salesperson: list[LeakRow]
    by_pool: list[LeakRow]
    by_sla: list[LeakRow]


@dataclass(frozen=True, slots=True)
class _Fate:
    """What one lead's assignments say about it."""

    outcome: str
    touch_bucket: str
    salesperson: str
    pool: str
    sla: str


def wilson(successes: int, trials: int, z: float = _Z95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (Wilson 1927); None without trials."""
    if trials == 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def touch_bucket(seconds: float | None) -> str:
    if seconds is None:
        return NOT_TOUCHED
    for label, upper in TOUCH_BUCKETS:
        if upper is None or seconds <= upper:
            return label
    raise AssertionError("unreachable: the last bucket has no bound")  # pragma: no cover


def _fate(lead: LeakLead, own: Sequence[AssignmentFact]) -> _Fate:
    ordered = sorted(own, key=lambda a: a.assigned_at)
    closing = next((a for a in ordered if a.stage in FINAL_OUTCOMES), ordered[-1])
    touches = [a.first_touch_at for a in ordered if a.first_touch_at is not None]
    seconds = (min(touches) - lead.received_at).total_seconds() if touches else None
    met = missed = 0
    for assignment in ordered:
        one_met, one_missed = sla_of(assignment)
        met, missed = met + one_met, missed + one_missed
    return _Fate(
        outcome=closing.stage if closing.stage in FINAL_OUTCOMES else OPEN,
        touch_bucket=touch_bucket(seconds),
        salesperson=str(closing.salesperson_id),
        pool=closing.pool or "(none)",
        sla="missed" if missed else "met" if met else "none",
    )


def _row(key: str, outcomes: Counter[str]) -> LeakRow:
    closed = sum(outcomes[o] for o in FINAL_OUTCOMES)
    return LeakRow(
        key=key,
        leads=closed + outcomes[OPEN],
        open=outcomes[OPEN],
        closed=closed,
        outcomes={o: outcomes[o] for o in FINAL_OUTCOMES},
        rates={o: outcomes[o] / closed if closed else None for o in FINAL_OUTCOMES},
        intervals={o: wilson(outcomes[o], closed) for o in FINAL_OUTCOMES},
    )


def _breakdown(
    fates: Sequence[tuple[LeakLead, _Fate]],
    key: Callable[[LeakLead, _Fate], str],
    order: Sequence[str] = (),
) -> list[LeakRow]:
    """One row per key: the ``order`` given first (all of them, empty or not), then
    the others by name."""
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    for name in order:
        groups[name] = Counter()
    for lead, fate in fates:
        groups[key(lead, fate)][fate.outcome] += 1
    rank = {name: index for index, name in enumerate(order)}
    keys = sorted(groups, key=lambda k: (rank.get(k, len(rank)), k))
    return [_row(k, groups[k]) for k in keys]


def leakage(leads: Iterable[LeakLead], assignments: Iterable[AssignmentFact]) -> Leakage:
    by_lead: dict[uuid.UUID, list[AssignmentFact]] = defaultdict(list)
    for assignment in assignments:
        by_lead[assignment.lead_id].append(assignment)
    fates = [(lead, _fate(lead, by_lead[lead.id])) for lead in leads if by_lead.get(lead.id)]
    overall = _breakdown(fates, lambda _l, _f: "all")
    total = overall[0] if overall else _row("all", Counter())
    return Leakage(
        leads=total.leads,
        closed=total.closed,
        overall=total,
        by_time_to_first_touch=_breakdown(
            fates,
            lambda _, f: f.touch_bucket,
            [label for label, _ in TOUCH_BUCKETS] + [NOT_TOUCHED],
        ),
        by_grade=_breakdown(fates, lambda lead, _: lead.grade, GRADES),
        by_source=_breakdown(fates, lambda lead, _: lead.source),
        by_salesperson=_breakdown(fates, lambda _, f: f.salesperson),
        by_pool=_breakdown(fates, lambda _, f: f.pool),
        by_sla=_breakdown(fates, lambda _, f: f.sla, SLA_GROUPS),
    )
