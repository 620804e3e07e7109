"""Use cases: a batch of scored leads arrives, or stored leads are routed again;
store each lead, decide its salesperson, record why, announce the assignment. And
the what-if simulation, which decides the same way and writes nothing.

Each runs inside the caller's transaction (the consumer, the re-check or the request
owns it): read what the batch needs, decide it (``decide_batch``, pure), write the
leads, decision records, assignments and the outbox messages that deliver them,
together or not at all. New rows are written with one insert per table and batch.
"""

import time
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.campaigns import repository as campaigns
from leadrouter_router.campaigns.models import CampaignRow
from leadrouter_router.crm import CRM_KIND
from leadrouter_router.leads import repository as stored_leads
from leadrouter_router.leads.models import LeadRow
from leadrouter_router.platform import outbox
from leadrouter_router.policies import repository as policies
from leadrouter_router.policies.policy import BUILT_IN_POLICY, Policy, PolicyDocument
from leadrouter_router.routing import repository
from leadrouter_router.routing.batch import Snapshot, decide_batch
from leadrouter_router.routing.engine import Decision
from leadrouter_router.routing.facts import LeadFacts
from leadrouter_router.routing.metrics import RoutingMetrics
from leadrouter_router.routing.models import DecisionRow
from leadrouter_router.routing.record import DecisionRecord, explain, load
from leadrouter_router.routing.records import NewLead, RoutedLead, Written, lead_columns, record
from leadrouter_router.routing.schemas import DecisionExplanation
from leadrouter_router.routing.snapshot import (
    BatchState,
    Configuration,
    ConfigurationCache,
    load_configuration,
    load_context,
    read_batch_state,
)
from leadrouter_schemas import LeadScored, LeadScoredData

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Routed:
    lead_id: uuid.UUID
    salesperson_id: uuid.UUID | None
    outcome: str
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class _Routable:
    """One lead of a batch: what is decided (facts) and what the decision is recorded on."""

    lead: RoutedLead
    data: LeadScoredData
    facts: LeadFacts
    scored_event_id: uuid.UUID | None
    correlation_id: str


async def route_scored_leads(
    session: AsyncSession,
    events: Sequence[LeadScored],
    *,
    now: datetime,
    assigned_topic: str,
    metrics: RoutingMetrics | None = None,
    configurations: ConfigurationCache | None = None,
) -> list[Routed]:
    """Store, decide and announce each new scored lead; an event seen before returns
    the decision recorded for it (replay-stable), and changes nothing.

    ``configurations`` keeps the routing configuration between batches (checked
    against the database for every batch); without it, it is read for this batch.
    The batch's reads are a constant few statements whatever its size: campaigns,
    the configuration's fingerprint, the related leads with the events seen before,
    the load (docs/decisions/0305)."""
    first: dict[uuid.UUID, LeadScored] = {}
    for scored in events:
        first.setdefault(scored.event_id, scored)
    unique = list(first.values())
    campaign_rows = await campaigns.by_ids(session, {e.data.lead.campaign_id for e in unique})
    configuration = (
        await configurations.get(session)
        if configurations is not None
        else await load_configuration(session)
    )
    batch: list[_Routable] = []
    new_leads: list[NewLead] = []
    for scored in unique:
        campaign = campaign_rows.get(scored.data.lead.campaign_id)
        facts = LeadFacts.from_scored(
            scored.data,
            received_at=now,
            product_line=campaign.product_line if campaign else None,
            lead_id=uuid.uuid4(),
        )
        new_leads.append(NewLead.of(scored, facts))
        batch.append(
            _Routable(new_leads[-1], scored.data, facts, scored.event_id, scored.correlation_id)
        )
    state = await read_batch_state(
        session,
        [item.facts for item in batch],
        now=now,
        configuration=configuration,
        scored_event_ids=[scored.event_id for scored in unique],
    )
    routed = await _replayed(session, events, seen=state.seen_events)
    fresh = [n for n, item in enumerate(batch) if item.scored_event_id not in state.seen_events]
    if not fresh:
        return routed
    return routed + await _route(
        session,
        [batch[n] for n in fresh],
        state=state,
        configuration=configuration,
        campaign_rows=campaign_rows,
        now=now,
        assigned_topic=assigned_topic,
        metrics=metrics,
        new_leads=[new_leads[n] for n in fresh],
    )


async def _replayed(
    session: AsyncSession, events: Sequence[LeadScored], *, seen: Collection[uuid.UUID]
) -> list[Routed]:
    """The decisions recorded for the events seen before (in this batch or earlier)."""
    # Replays are rare: the recorded decisions are read only when there are some.
    recorded = await repository.decisions_of_events(session, seen) if seen else {}
    routed: list[Routed] = []
    first: set[uuid.UUID] = set()
    for scored in events:
        if scored.event_id in seen or scored.event_id in first:
            log.info("routing.duplicate_skipped", event_id=str(scored.event_id))
            previous = recorded.get(scored.event_id)
            if previous is not None:
                routed.append(
                    Routed(previous.lead_id, previous.salesperson_id, previous.outcome, True)
                )
        else:
            first.add(scored.event_id)
    return routed


async def reroute_unassigned(
    session: AsyncSession,
    *,
    now: datetime,
    assigned_topic: str,
    limit: int = 200,
    metrics: RoutingMetrics | None = None,
) -> list[Routed]:
    """Try the leads that wait unassigned again: someone may have become eligible."""
    rows = await repository.unassigned_leads(session, limit=limit)
    if not rows:
        if metrics is not None:
            metrics.unassigned.set(0)
        return []
    return await route_again(
        session, rows, now=now, assigned_topic=assigned_topic, metrics=metrics, keep_waiting=True
    )


async def route_again(
    session: AsyncSession,
    rows: Sequence[LeadRow],
    *,
    now: datetime,
    assigned_topic: str,
    metrics: RoutingMetrics | None = None,
    keep_waiting: bool = False,
) -> list[Routed]:
    """Route stored leads again, never to anyone who already had them (a rejection, a
    missed SLA, or a lead waiting unassigned). Nobody eligible: the lead waits
    unassigned (``keep_waiting``: it already does, and nothing new is recorded)."""
    campaign_rows = await campaigns.by_ids(session, {row.campaign_id for row in rows})
    had = await stored_leads.previous_owners(session, [row.id for row in rows])
    batch = []
    for row in rows:
        data = LeadScoredData.model_validate(row.scored)
        campaign = campaign_rows.get(row.campaign_id)
        facts = LeadFacts.from_scored(
            data,
            received_at=row.received_at,
            lead_id=row.id,
            product_line=campaign.product_line if campaign else None,
        )
        facts = replace(facts, previous_owners=had.get(row.id, frozenset()))
        batch.append(_Routable(row, data, facts, None, row.correlation_id))
    if not keep_waiting:
        # The lead left its salesperson: an assignment not yet in the CRM must not
        # reach it now (docs/decisions/0502-outbox-order-by-key.md).
        await outbox.supersede(session, kind=CRM_KIND, keys=[str(r.id) for r in rows], now=now)
    configuration = await load_configuration(session)
    state = await read_batch_state(
        session, [item.facts for item in batch], now=now, configuration=configuration
    )
    return await _route(
        session,
        batch,
        state=state,
        configuration=configuration,
        campaign_rows=campaign_rows,
        now=now,
        assigned_topic=assigned_topic,
        metrics=metrics,
        keep_waiting=keep_waiting,
    )


async def _route(
    session: AsyncSession,
    batch: Sequence[_Routable],
    *,
    state: BatchState,
    configuration: Configuration,
    campaign_rows: dict[str, CampaignRow],
    now: datetime,
    assigned_topic: str,
    metrics: RoutingMetrics | None,
    new_leads: Sequence[NewLead] = (),
    keep_waiting: bool = False,
) -> list[Routed]:
    """The one way a batch is routed: decide against the state read, record, write.
    ``new_leads``: the batch's leads are new, inserted here (else they are stored
    leads, changed in place)."""
    facts = [item.facts for item in batch]
    context = state.context
    rotations_before = dict(context.load.last_in_pool)
    snapshot = Snapshot(
        context,
        policies=configuration.policies,
        campaign_policies={cid: row.policy_name for cid, row in campaign_rows.items()},
    )
    started = time.perf_counter()
    decisions = decide_batch(facts, snapshot, now, new=bool(new_leads))
    if metrics is not None:
        metrics.decided(decisions, seconds=time.perf_counter() - started)
    written = Written(campaigns=campaign_rows, leads=list(new_leads))
    routed = []
    unassigned = state.unassigned
    for item, decision in zip(batch, decisions, strict=True):
        if keep_waiting and decision.outcome != "assigned":
            continue  # still waiting: no new record every time it is tried
        unassigned -= item.lead.status == "unassigned"
        unassigned += decision.outcome == "unassigned"
        record(
            decision,
            lead=item.lead,
            data=item.data,
            scored_event_id=item.scored_event_id,
            correlation_id=item.correlation_id,
            people=context.people,
            written=written,
            assigned_topic=assigned_topic,
            now=now,
        )
        if metrics is not None and decision.outcome == "assigned" and decision.salesperson_id:
            metrics.assigned(decision.pool, decision.salesperson_id)
        routed.append(Routed(item.lead.id, decision.salesperson_id, decision.outcome))
    if not written.leads:
        await session.flush()  # leads changed by routing them again
    await repository.insert_batch(
        session,
        leads=[lead_columns(lead) for lead in written.leads],
        decisions=written.decisions,
        assignments=written.assignments,
        messages=written.messages,
    )
    await repository.save_rotations(
        session, before=rotations_before, after=context.load.last_in_pool, now=now
    )
    if metrics is not None:
        metrics.set_open_load(context.load.open_leads)
        metrics.unassigned.set(unassigned)
    return routed


async def explanation(session: AsyncSession, row: DecisionRow) -> DecisionExplanation:
    """A stored decision's full record: version 1 as it was written, a compact one with
    its policy version's rules and the candidates' names."""
    stored = load(row.record, row.compact)
    if not isinstance(stored, DecisionRecord):
        return stored
    return explain(
        stored,
        document=await _document_of(session, stored),
        names=await repository.salespeople_names(
            session, {c.salesperson_id for pool in stored.pools for c in pool.candidates}
        ),
    )


async def _document_of(session: AsyncSession, record: DecisionRecord) -> PolicyDocument | None:
    ref = record.policy
    if ref.id is None:  # not stored: the built-in policy
        return BUILT_IN_POLICY.document if ref.name == BUILT_IN_POLICY.name else None
    document = await policies.policy_document(session, ref.id)
    return PolicyDocument.model_validate(document) if document is not None else None


async def simulate(
    session: AsyncSession,
    leads: list[LeadScoredData],
    *,
    candidate: PolicyDocument | None,
    now: datetime,
) -> list[tuple[Decision, DecisionExplanation]]:
    """Decide each lead against the stored state, as a batch would, writing nothing."""
    campaign_rows = await campaigns.by_ids(session, {data.lead.campaign_id for data in leads})
    facts = [
        LeadFacts.from_scored(
            data,
            received_at=now,
            lead_id=uuid.uuid4(),
            product_line=(
                c.product_line if (c := campaign_rows.get(data.lead.campaign_id)) else None
            ),
        )
        for data in leads
    ]
    configuration = await load_configuration(session)
    context = await load_context(session, facts, now=now, configuration=configuration)
    snapshot = Snapshot(
        context,
        policies=configuration.policies,
        campaign_policies={cid: row.policy_name for cid, row in campaign_rows.items()},
        candidate=(
            Policy(name="candidate", version=1, document=candidate)
            if candidate is not None
            else None
        ),
    )
    names = {person.id: person.name for person in context.people.values()}
    return [
        (decision, explain(decision.record, document=snapshot.policy(fact).document, names=names))
        for fact, decision in zip(facts, decide_batch(facts, snapshot, now), strict=True)
    ]
