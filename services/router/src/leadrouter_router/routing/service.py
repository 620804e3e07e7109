"""Use cases: a batch of scored leads arrives, or unassigned leads are tried again;
store each lead, decide its salesperson, record why, announce the assignment.

Runs inside the caller's transaction (the consumer or the re-check owns it): the
lead, the decision record, the assignment and the outbox messages that deliver
it are committed together, or not at all. New rows are written with one insert
per table and batch (no unit of work per row: a batch is hundreds of leads).
"""

import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any, Protocol

import structlog
from pydantic import ValidationError
from pydantic_core import to_json
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.campaigns import repository as campaigns
from leadrouter_router.campaigns.models import CampaignRow
from leadrouter_router.crm import CRM_KIND
from leadrouter_router.leads import repository
from leadrouter_router.leads.models import LeadRow
from leadrouter_router.platform import outbox
from leadrouter_router.platform.kafka_delivery import KAFKA_KIND
from leadrouter_router.policies.policy import Policy, PolicyDocument
from leadrouter_router.routing import repository as routing
from leadrouter_router.routing.deadlines import assignment_deadlines
from leadrouter_router.routing.engine import Decision, decide
from leadrouter_router.routing.facts import KnownLead, LeadFacts, Person, RoutingContext
from leadrouter_router.routing.metrics import RoutingMetrics
from leadrouter_router.routing.snapshot import (
    Configuration,
    ConfigurationCache,
    load_configuration,
    load_context,
    policy_for,
)
from leadrouter_schemas import (
    LeadAssigned,
    LeadAssignedData,
    LeadScored,
    LeadScoredData,
    Salesperson,
    encode,
    header_values,
)
from leadrouter_schemas.leads import DecisionSummary, SalesKit

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Routed:
    lead_id: uuid.UUID
    salesperson_id: uuid.UUID | None
    outcome: str
    replayed: bool = False


class _Lead(Protocol):
    """What a decision is applied to: a new lead of this batch, or a stored one."""

    id: uuid.UUID
    lead_key: str
    campaign_id: str
    value: float
    status: str
    owner_id: uuid.UUID | None
    merged_into_id: uuid.UUID | None


@dataclass(slots=True)
class _NewLead:
    """A lead row to insert (the columns of ``leads``)."""

    id: uuid.UUID
    scored_event_id: uuid.UUID
    lead_key: str
    correlation_id: str
    campaign_id: str
    email: str | None
    email_key: str | None
    phone_key: str | None
    company_domain: str | None
    score: int
    grade: str
    value: float
    status: str
    scored: str
    """The LeadScored data, encoded as JSON once (what the ``scored`` column holds)."""
    received_at: datetime
    owner_id: uuid.UUID | None = None
    merged_into_id: uuid.UUID | None = None


_NEW_LEAD_COLUMNS = tuple(f.name for f in fields(_NewLead))


def _columns(lead: _NewLead) -> dict[str, Any]:
    # Not dataclasses.asdict: it deep-copies the scored payload of every lead.
    return {name: getattr(lead, name) for name in _NEW_LEAD_COLUMNS}


@dataclass(slots=True)
class _Pending:
    leads: list[_NewLead] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    assignments: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, object]] = field(default_factory=list)
    campaigns: Mapping[str, CampaignRow] = field(default_factory=dict)
    kits: dict[str, SalesKit | None] = field(default_factory=dict)
    """Each campaign's sales kit, read once per batch."""

    def sales_kit(self, campaign_id: str) -> SalesKit | None:
        if campaign_id not in self.kits:
            self.kits[campaign_id] = _sales_kit(self.campaigns.get(campaign_id))
        return self.kits[campaign_id]


def _assigned_event(
    data: LeadScoredData,
    *,
    lead: _Lead,
    assignment: dict[str, Any],
    person: Person,
    correlation_id: str,
    causation_id: uuid.UUID,
    decision: Decision,
    sales_kit: SalesKit | None,
) -> LeadAssigned:
    return LeadAssigned(
        event_id=assignment["id"],
        occurred_at=assignment["assigned_at"],
        source="router",
        correlation_id=correlation_id,
        causation_id=causation_id,
        data=LeadAssignedData(
            lead_id=lead.id,
            lead_key=lead.lead_key,
            lead=data.lead,
            assignment_id=assignment["id"],
            campaign_id=lead.campaign_id,
            salesperson=Salesperson(
                id=person.id, name=person.name, email=person.email, crm_user_id=person.crm_user_id
            ),
            score=data.score,
            reason=assignment["reason"],
            assigned_at=assignment["assigned_at"],
            decision_summary=DecisionSummary(
                via=decision.via,
                policy_name=decision.record["policy"]["name"],
                policy_version=decision.record["policy"]["version"],
                pool=decision.pool,
                strategy=decision.strategy,
            ),
            sales_kit=sales_kit,
            sla_deadline=assignment["accept_due_at"],
        ),
    )


def _sales_kit(campaign: CampaignRow | None) -> SalesKit | None:
    if campaign is None or not campaign.sales_kit:
        return None
    try:
        return SalesKit.model_validate(campaign.sales_kit)
    except ValidationError as error:  # a kit stored in another shape must not stop routing
        log.warning(
            "routing.sales_kit_unreadable", campaign_id=campaign.campaign_id, error=str(error)
        )
        return None


def _timed_decide(
    facts: LeadFacts,
    context: RoutingContext,
    policy: Policy,
    *,
    now: datetime,
    metrics: RoutingMetrics | None,
) -> Decision:
    started = time.perf_counter()
    decision = decide(facts, context, policy, now)
    if metrics is not None:
        metrics.latency.observe(time.perf_counter() - started)
        metrics.decisions.labels(outcome=decision.outcome).inc()
    return decision


def _apply(
    decision: Decision,
    *,
    lead: _Lead,
    data: LeadScoredData,
    scored_event_id: uuid.UUID | None,
    correlation_id: str,
    context: RoutingContext,
    pending: _Pending,
    assigned_topic: str,
    now: datetime,
    metrics: RoutingMetrics | None,
) -> None:
    """Record ``decision`` on ``lead`` and queue its rows; keep the snapshot current."""
    decision_id = uuid.uuid4()
    pending.decisions.append(
        {
            "id": decision_id,
            "lead_id": lead.id,
            "scored_event_id": scored_event_id,
            "outcome": decision.outcome,
            "salesperson_id": decision.salesperson_id,
            "policy_name": decision.record["policy"]["name"],
            "policy_version": decision.record["policy"]["version"],
            # Encoded once here (pydantic-core), not by json.dumps at the insert: the
            # record names every rule and candidate, and is the largest row written.
            "record": to_json(decision.record).decode(),
            "decided_at": now,
        }
    )
    lead.status = decision.outcome
    lead.owner_id = decision.salesperson_id
    lead.merged_into_id = decision.merged_into
    if decision.outcome != "assigned" or decision.salesperson_id is None:
        log.info(
            f"routing.{decision.outcome}",
            lead_id=str(lead.id),
            reason=decision.reason,
            correlation_id=correlation_id,
        )
        return
    person = context.people[decision.salesperson_id]
    # The deadlines belong to the assignment from the start (SLA met or missed is
    # known however fast it is worked); the SLA checker only acts on them.
    campaign = pending.campaigns.get(lead.campaign_id)
    deadlines = assignment_deadlines(
        campaign.sla if campaign else None, data.score.grade, person, now
    )
    assignment = {
        "id": uuid.uuid4(),
        "lead_id": lead.id,
        "salesperson_id": person.id,
        "decision_id": decision_id,
        "pool": decision.pool,
        "strategy": decision.strategy,
        "reason": decision.reason[:500],
        "assigned_at": now,
        "accept_due_at": deadlines.accept_due_at,
        "touch_due_at": deadlines.touch_due_at,
        "sla_armed": True,
    }
    pending.assignments.append(assignment)
    event = _assigned_event(
        data,
        lead=lead,
        assignment=assignment,
        person=person,
        correlation_id=correlation_id,
        causation_id=scored_event_id or decision_id,
        decision=decision,
        sales_kit=pending.sales_kit(lead.campaign_id),
    )
    pending.messages.extend(_announce(event, assigned_topic=assigned_topic, now=now))
    context.load.assign(person.id, pool=decision.pool, value=lead.value)
    if metrics is not None:
        metrics.assigned(decision.pool, person.id)
    log.info(
        "routing.assigned",
        lead_id=str(lead.id),
        salesperson_id=str(person.id),
        via=decision.via,
        pool=decision.pool,
        correlation_id=correlation_id,
    )


async def _write(
    session: AsyncSession,
    pending: _Pending,
    context: RoutingContext,
    *,
    rotations_before: dict[str, uuid.UUID],
    now: datetime,
    metrics: RoutingMetrics | None,
) -> None:
    if not pending.leads:
        await session.flush()  # leads changed by the re-check
    await routing.insert_batch(
        session,
        leads=[_columns(lead) for lead in pending.leads],
        decisions=pending.decisions,
        assignments=pending.assignments,
        messages=pending.messages,
    )
    await routing.save_rotations(
        session, before=rotations_before, after=context.load.last_in_pool, now=now
    )
    if metrics is not None:
        metrics.set_open_load(context.load.open_leads)
        metrics.unassigned.set(await routing.count_unassigned(session))


def _policy(
    policies: dict[str, Policy], campaign_policies: dict[str, str | None], campaign_id: str
) -> Policy:
    return policy_for(policies, campaign_policies.get(campaign_id))


async def _configuration(
    session: AsyncSession, configurations: ConfigurationCache | None
) -> Configuration:
    if configurations is None:
        return await load_configuration(session)
    return await configurations.get(session)


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
    against the database for every batch); without it, it is read for this batch."""
    known = await repository.known_scored_event_ids(session, [e.event_id for e in events])
    # Replays are rare: the recorded decisions are read only when there are some.
    recorded = await routing.decisions_of_events(session, known) if known else {}
    routed: list[Routed] = []
    fresh: dict[uuid.UUID, LeadScored] = {}
    for scored in events:
        if scored.event_id in known or scored.event_id in fresh:
            log.info("routing.duplicate_skipped", event_id=str(scored.event_id))
            previous = recorded.get(scored.event_id)
            if previous is not None:
                routed.append(
                    Routed(previous.lead_id, previous.salesperson_id, previous.outcome, True)
                )
            continue
        fresh[scored.event_id] = scored
    if not fresh:
        return routed

    campaign_rows = await campaigns.by_ids(
        session, {e.data.lead.campaign_id for e in fresh.values()}
    )
    products = {cid: row.product_line for cid, row in campaign_rows.items()}
    campaign_policies = {cid: row.policy_name for cid, row in campaign_rows.items()}
    facts = [
        LeadFacts.from_scored(
            scored.data,
            received_at=now,
            product_line=products.get(scored.data.lead.campaign_id),
            lead_id=uuid.uuid4(),
        )
        for scored in fresh.values()
    ]
    configuration = await _configuration(session, configurations)
    context = await load_context(session, facts, now=now, configuration=configuration)
    rotations_before = dict(context.load.last_in_pool)
    policies = configuration.policies
    pending = _Pending(campaigns=campaign_rows)
    for scored, fact in zip(fresh.values(), facts, strict=True):
        assert fact.lead_id is not None
        policy = _policy(policies, campaign_policies, fact.campaign_id)
        decision = _timed_decide(fact, context, policy, now=now, metrics=metrics)
        lead = _NewLead(
            id=fact.lead_id,
            scored_event_id=scored.event_id,
            lead_key=fact.lead_key,
            correlation_id=scored.correlation_id,
            campaign_id=fact.campaign_id,
            email=scored.data.lead.contact.email,
            email_key=fact.email_key,
            phone_key=fact.phone_key,
            company_domain=fact.company_domain,
            score=fact.score,
            grade=fact.grade,
            value=fact.value,
            status=decision.outcome,
            scored=scored.data.model_dump_json(),
            received_at=now,
        )
        pending.leads.append(lead)
        _apply(
            decision,
            lead=lead,
            data=scored.data,
            scored_event_id=scored.event_id,
            correlation_id=scored.correlation_id,
            context=context,
            pending=pending,
            assigned_topic=assigned_topic,
            now=now,
            metrics=metrics,
        )
        if decision.outcome != "merged":
            context.remember(
                KnownLead(
                    id=lead.id,
                    lead_key=lead.lead_key,
                    received_at=now,
                    status=lead.status,
                    owner_id=lead.owner_id,
                    email_key=lead.email_key,
                    phone_key=lead.phone_key,
                    company_domain=lead.company_domain,
                )
            )
        routed.append(Routed(lead.id, decision.salesperson_id, decision.outcome))
    await _write(
        session, pending, context, rotations_before=rotations_before, now=now, metrics=metrics
    )
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
    rows = await routing.unassigned_leads(session, limit=limit)
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
    products = {cid: row.product_line for cid, row in campaign_rows.items()}
    campaign_policies = {cid: row.policy_name for cid, row in campaign_rows.items()}
    had = await repository.previous_owners(session, [row.id for row in rows])
    datas = [LeadScoredData.model_validate(row.scored) for row in rows]
    facts = [
        replace(
            LeadFacts.from_scored(
                data,
                received_at=row.received_at,
                lead_id=row.id,
                product_line=products.get(row.campaign_id),
            ),
            previous_owners=had.get(row.id, frozenset()),
        )
        for row, data in zip(rows, datas, strict=True)
    ]
    if not keep_waiting:
        # The lead left its salesperson: an assignment not yet in the CRM must not
        # reach it now (docs/decisions/0502-outbox-order-by-key.md).
        await outbox.supersede(session, kind=CRM_KIND, keys=[str(r.id) for r in rows], now=now)
    configuration = await load_configuration(session)
    context = await load_context(session, facts, now=now, configuration=configuration)
    rotations_before = dict(context.load.last_in_pool)
    policies = configuration.policies
    pending = _Pending(campaigns=campaign_rows)
    routed = []
    for row, data, fact in zip(rows, datas, facts, strict=True):
        policy = _policy(policies, campaign_policies, row.campaign_id)
        decision = _timed_decide(fact, context, policy, now=now, metrics=metrics)
        if keep_waiting and decision.outcome != "assigned":
            continue  # still waiting: no new record every time it is tried
        _apply(
            decision,
            lead=row,
            data=data,
            scored_event_id=None,
            correlation_id=row.correlation_id,
            context=context,
            pending=pending,
            assigned_topic=assigned_topic,
            now=now,
            metrics=metrics,
        )
        routed.append(Routed(row.id, decision.salesperson_id, decision.outcome))
    await _write(
        session, pending, context, rotations_before=rotations_before, now=now, metrics=metrics
    )
    return routed


def _announce(
    event: LeadAssigned, *, assigned_topic: str, now: datetime
) -> list[dict[str, object]]:
    """The assignment for the CRM and for ``leads.assigned``, as outbox messages."""
    payload = encode(event).decode()
    headers = header_values(event)
    return [
        outbox.pending_message(
            kind=kind,
            destination=destination,
            key=str(event.data.lead_id),
            payload=payload,
            headers=headers,
            idempotency_key=str(event.data.assignment_id),
            now=now,
        )
        for kind, destination in ((CRM_KIND, "default"), (KAFKA_KIND, assigned_topic))
    ]


async def simulate(
    session: AsyncSession,
    leads: list[LeadScoredData],
    *,
    candidate: PolicyDocument | None,
    now: datetime,
) -> list[Decision]:
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
    policies = configuration.policies
    decisions = []
    for fact in facts:
        campaign = campaign_rows.get(fact.campaign_id)
        policy = (
            Policy(name="candidate", version=1, document=candidate)
            if candidate is not None
            else policy_for(policies, campaign.policy_name if campaign else None)
        )
        decision = decide(fact, context, policy, now)
        decisions.append(decision)
        if decision.outcome == "assigned" and decision.salesperson_id is not None:
            context.load.assign(decision.salesperson_id, pool=decision.pool, value=fact.value)
        if decision.outcome != "merged" and fact.lead_id is not None:
            context.remember(
                KnownLead(
                    id=fact.lead_id,
                    lead_key=fact.lead_key,
                    received_at=now,
                    status=decision.outcome,
                    owner_id=decision.salesperson_id,
                    email_key=fact.email_key,
                    phone_key=fact.phone_key,
                    company_domain=fact.company_domain,
                )
            )
    return decisions
