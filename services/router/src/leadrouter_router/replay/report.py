"""What a replay says: the leads a candidate would move, and what it does to the load,
its fairness and the service levels (pure).

``before`` is the replay of what is in force (each campaign's policy as it was, the
stored scores), ``after`` the candidate's; both are decided against the same
approximated world, so the difference is the candidate's alone (an unchanged
candidate moves nothing). How far ``before`` is from what really happened is
reported too (``recorded_owner_agreement``): it measures the approximation.
"""

import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from leadrouter_router.replay.engine import Replayed, StoredLead
from leadrouter_router.reports.funnel import gini, percentile
from leadrouter_router.routing.deadlines import target_minutes

MOVES = ("grade", "mql", "owner")


@dataclass(frozen=True, slots=True)
class Moved:
    lead: StoredLead
    before: Replayed
    after: Replayed
    changes: tuple[str, ...]
    """Of ``MOVES``: what differs."""


@dataclass(frozen=True, slots=True)
class SlaExposure:
    assigned: int
    unassigned: int
    with_target: int
    """Assigned leads with an accept or first-touch target."""
    deferred: int
    """Of those, leads whose first deadline is later than its target in wall-clock
    time: they arrived outside their salesperson's working hours and wait."""
    p50_minutes_to_deadline: float | None
    p90_minutes_to_deadline: float | None


@dataclass(frozen=True, slots=True)
class LoadRow:
    salesperson_id: uuid.UUID
    before: int
    after: int


@dataclass(slots=True)
class ReplayTally:
    """Filled lead by lead as a replay goes (a window can hold many leads)."""

    leads: int = 0
    changed: Counter[str] = field(default_factory=Counter)
    moved: list[Moved] = field(default_factory=list)
    outcomes_of_moved: Counter[str] = field(default_factory=Counter)
    load_before: Counter[uuid.UUID] = field(default_factory=Counter)
    load_after: Counter[uuid.UUID] = field(default_factory=Counter)
    agree_with_record: int = 0
    recorded: int = 0
    _minutes: dict[str, list[float]] = field(default_factory=lambda: {"before": [], "after": []})
    _sla: dict[str, Counter[str]] = field(
        default_factory=lambda: {"before": Counter(), "after": Counter()}
    )

    def add(self, lead: StoredLead, before: Replayed, after: Replayed) -> Moved | None:
        self.leads += 1
        if lead.recorded_owner is not None or lead.outcome == "unassigned":
            self.recorded += 1
            if before.owner == lead.recorded_owner:
                self.agree_with_record += 1
        for side, replayed, load in (
            ("before", before, self.load_before),
            ("after", after, self.load_after),
        ):
            if replayed.owner is not None and replayed.outcome == "assigned":
                load[replayed.owner] += 1
            self._count_sla(side, lead.received_at, replayed, lead.sla or {})
        changes = tuple(
            name
            for name, differs in (
                ("grade", before.grade != after.grade),
                ("mql", before.is_mql != after.is_mql),
                ("owner", (before.outcome, before.owner) != (after.outcome, after.owner)),
            )
            if differs
        )
        if not changes:
            return None
        self.changed.update(changes)
        moved = Moved(lead, before, after, changes)
        self.moved.append(moved)
        self.outcomes_of_moved[lead.outcome] += 1
        return moved

    def _count_sla(
        self, side: str, at: datetime, replayed: Replayed, sla: Mapping[str, object]
    ) -> None:
        tally = self._sla[side]
        if replayed.outcome != "assigned":
            tally["unassigned"] += replayed.outcome == "unassigned"
            return
        tally["assigned"] += 1
        dues = [d for d in (replayed.accept_due_at, replayed.touch_due_at) if d is not None]
        if not dues:
            return
        tally["with_target"] += 1
        first = min(dues)
        minutes = (first - at).total_seconds() / 60
        self._minutes[side].append(minutes)
        target = _target_of(sla, replayed, first)
        if target is not None and minutes > target + 1e-9:
            tally["deferred"] += 1

    def exposure(self, side: str) -> SlaExposure:
        tally, minutes = self._sla[side], self._minutes[side]
        return SlaExposure(
            assigned=tally["assigned"],
            unassigned=tally["unassigned"],
            with_target=tally["with_target"],
            deferred=tally["deferred"],
            p50_minutes_to_deadline=percentile(minutes, 0.5),
            p90_minutes_to_deadline=percentile(minutes, 0.9),
        )

    def loads(self, people: Iterable[uuid.UUID]) -> list[LoadRow]:
        everyone = set(people) | set(self.load_before) | set(self.load_after)
        return [
            LoadRow(person, self.load_before[person], self.load_after[person])
            for person in sorted(everyone, key=str)
        ]

    def gini(self, side: str, people: Iterable[uuid.UUID]) -> float | None:
        load = self.load_before if side == "before" else self.load_after
        return gini([float(load[person]) for person in set(people) | set(load)])


def _target_of(sla: Mapping[str, object], replayed: Replayed, first: datetime) -> float | None:
    """The target (minutes) of the deadline that comes first."""
    field_name = (
        "accept_within_minutes" if first == replayed.accept_due_at else "first_touch_within_minutes"
    )
    found = target_minutes(sla, replayed.grade, field_name)
    return float(found) if found is not None else None
