"""The set checker: a pure function from what every party saw to a verdict.

The promises it holds the system to (ARCHITECTURE.md, delivery guarantees):

- every lead the scorer acknowledged with 202 is in exactly one end state:
  assigned, rejected, dead-lettered, merged into an earlier lead, or quarantined;
- the CRM's final owner of each lead is the router's current owner;
- each lead's assignments reached the CRM and ``leads.assigned`` in the order
  the router made them (older ones may be missing, superseded, never later);
- the CRM records an assignment at most once, and every request about one
  assignment carries the same idempotency key.

Repeats with the same key (CRM) or the same event id (topic) are at-least-once
delivery made harmless by idempotency: they are counted, not violations.
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import TypeVar

END_STATES = ("assigned", "rejected", "dead_letter", "merged", "quarantined")
MAX_SAMPLES = 20
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Acked:
    """A lead the scorer answered 202."""

    correlation_id: str
    kind: str


@dataclass(frozen=True, slots=True)
class RouterLead:
    id: str
    correlation_id: str
    status: str
    owner_id: str | None


@dataclass(frozen=True, slots=True)
class RouterAssignment:
    id: str
    lead_id: str
    salesperson_id: str
    assigned_at: datetime
    stage: str


@dataclass(frozen=True, slots=True)
class CrmRequest:
    """One request the CRM received, in arrival order (the simulator's ledger)."""

    seq: int
    lead_id: str | None
    assignment_id: str | None
    salesperson_id: str | None
    idempotency_key: str | None
    recorded: bool


@dataclass(frozen=True, slots=True)
class TopicAssignment:
    """One ``leads.assigned`` record; a lead's records in partition (offset) order."""

    lead_id: str
    assignment_id: str
    event_id: str


@dataclass
class Observations:
    acked: Sequence[Acked]
    leads: Sequence[RouterLead]
    assignments: Sequence[RouterAssignment]
    crm: Sequence[CrmRequest]
    assigned_topic: Sequence[TopicAssignment]
    rejected: Mapping[str, set[str]] = field(default_factory=dict)
    """Correlation id -> the ids of its ``lead.rejected`` events."""
    dead_letters: Mapping[str, int] = field(default_factory=dict)
    quarantined: Mapping[str, int] = field(default_factory=dict)
    outbox_pending: int = 0


@dataclass
class Verdict:
    leads: int = 0
    end_states: Counter[str] = field(default_factory=Counter)
    reassigned_leads: int = 0
    lost: int = 0
    lost_at_crm: int = 0
    lost_on_topic: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    wrong_final_owner: int = 0
    router_inconsistent: int = 0
    crm_repeats: int = 0
    topic_repeats: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def violations(self) -> int:
        return (
            self.lost
            + self.lost_at_crm
            + self.lost_on_topic
            + self.duplicated
            + self.out_of_order
            + self.wrong_final_owner
            + self.router_inconsistent
        )

    @property
    def ok(self) -> bool:
        return self.violations == 0

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_SAMPLES:
            self.problems.append(text)


def check(seen: Observations) -> Verdict:
    verdict = Verdict(leads=len(seen.acked))
    _end_states(seen, verdict)
    by_lead: dict[str, list[RouterAssignment]] = defaultdict(list)
    for assignment in sorted(seen.assignments, key=lambda a: (a.assigned_at, a.id)):
        by_lead[assignment.lead_id].append(assignment)
    crm_by_lead = _group(seen.crm, lambda r: r.lead_id)
    topic_by_lead = _group(seen.assigned_topic, lambda r: r.lead_id)
    for lead in seen.leads:
        if lead.status not in ("assigned", "closed"):
            continue
        history = by_lead.get(lead.id, [])
        if len(history) > 1:
            verdict.reassigned_leads += 1
        if not history or history[-1].salesperson_id != lead.owner_id:
            verdict.router_inconsistent += 1
            verdict.problem(f"lead {lead.id}: owner {lead.owner_id} is not its last assignment")
            continue
        rank = {a.id: n for n, a in enumerate(history)}
        _crm(lead, rank, crm_by_lead.get(lead.id, []), verdict)
        _topic(lead, rank, topic_by_lead.get(lead.id, []), verdict)
    return verdict


def _end_states(seen: Observations, verdict: Verdict) -> None:
    rows = _group(seen.leads, lambda lead: lead.correlation_id)
    for acked in seen.acked:
        cid = acked.correlation_id
        states: list[str] = []
        for row in rows.get(cid, []):
            if row.status in ("assigned", "closed"):
                states.append("assigned")
            elif row.status == "merged":
                states.append("merged")
        states += ["rejected"] * len(seen.rejected.get(cid, ()))
        states += ["dead_letter"] * min(1, seen.dead_letters.get(cid, 0))
        states += ["quarantined"] * min(1, seen.quarantined.get(cid, 0))
        if not states:
            verdict.lost += 1
            found = ", ".join(row.status for row in rows.get(cid, [])) or "nowhere"
            verdict.problem(f"lead {cid} ({acked.kind}) is in no end state ({found})")
        elif len(states) > 1:
            verdict.duplicated += 1
            verdict.problem(f"lead {cid} ({acked.kind}) is in {len(states)} states: {states}")
        else:
            verdict.end_states[states[0]] += 1


def _crm(
    lead: RouterLead, rank: Mapping[str, int], requests: Sequence[CrmRequest], verdict: Verdict
) -> None:
    keys: dict[str, set[str | None]] = defaultdict(set)
    recorded: list[CrmRequest] = []
    for request in requests:
        if request.assignment_id is None:
            continue
        keys[request.assignment_id].add(request.idempotency_key)
        if request.recorded:
            recorded.append(request)
        elif request.idempotency_key is not None:
            verdict.crm_repeats += 1
    for assignment_id, given in keys.items():
        if len(given) > 1 or None in given:
            verdict.duplicated += 1
            verdict.problem(f"lead {lead.id}: assignment {assignment_id} sent with keys {given}")
    counts = Counter(r.assignment_id for r in recorded)
    for twice, count in counts.items():
        if count > 1:
            verdict.duplicated += 1
            verdict.problem(f"lead {lead.id}: CRM recorded assignment {twice} {count}x")
    order = [r.assignment_id for r in recorded if r.assignment_id is not None]
    if not _increasing(order, rank):
        verdict.out_of_order += 1
        verdict.problem(
            f"lead {lead.id}: CRM got assignments in the order {_ranks(order, rank)}, "
            f"the router made {len(rank)}"
        )
    if not recorded:
        verdict.lost_at_crm += 1
        verdict.problem(f"lead {lead.id}: the CRM never recorded an assignment")
    elif recorded[-1].salesperson_id != lead.owner_id:
        verdict.wrong_final_owner += 1
        verdict.problem(
            f"lead {lead.id}: CRM owner {recorded[-1].salesperson_id}, "
            f"router owner {lead.owner_id} (CRM order {_ranks(order, rank)})"
        )


def _topic(
    lead: RouterLead,
    rank: Mapping[str, int],
    records: Sequence[TopicAssignment],
    verdict: Verdict,
) -> None:
    event_ids: dict[str, set[str]] = defaultdict(set)
    first: list[str] = []
    for record in records:
        if record.event_id in event_ids[record.assignment_id]:
            verdict.topic_repeats += 1
            continue
        if event_ids[record.assignment_id]:
            verdict.duplicated += 1
            verdict.problem(f"lead {lead.id}: {record.assignment_id} on the topic as two events")
            continue
        event_ids[record.assignment_id].add(record.event_id)
        first.append(record.assignment_id)
    if not _increasing(first, rank):
        verdict.out_of_order += 1
        verdict.problem(f"lead {lead.id}: leads.assigned order {_ranks(first, rank)}")
    current = max(rank, key=lambda a: rank[a])
    if current not in event_ids:
        verdict.lost_on_topic += 1
        verdict.problem(f"lead {lead.id}: its assignment {current} is not on leads.assigned")


def _increasing(order: Sequence[str], rank: Mapping[str, int]) -> bool:
    """Strictly increasing router ranks; an assignment the router never made fails."""
    ranks = [rank.get(a, -1) for a in order]
    return all(r >= 0 for r in ranks) and all(a < b for a, b in pairwise(ranks))


def _ranks(order: Sequence[str], rank: Mapping[str, int]) -> list[int]:
    return [rank.get(a, -1) for a in order]


def _group(items: Iterable[T], key: Callable[[T], str | None]) -> dict[str, list[T]]:
    grouped: dict[str, list[T]] = defaultdict(list)
    for item in items:
        value = key(item)
        if value is not None:
            grouped[value].append(item)
    return grouped
