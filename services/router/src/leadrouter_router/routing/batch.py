"""Deciding a batch (pure): each lead of the batch in turn, against a snapshot that
moves with every decision, so the next lead sees the assignments and the leads
before it. The one loop behind routing a batch of scored leads, routing stored
leads again, the what-if simulation and the replay."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from leadrouter_router.policies.policy import Policy, policy_for
from leadrouter_router.routing.engine import Decision, decide
from leadrouter_router.routing.facts import KnownLead, LeadFacts, RoutingContext


@dataclass(slots=True)
class Snapshot:
    """What a batch is decided against: the routing context (people, pools, known
    leads, load: it moves as the batch is decided) and the policies."""

    context: RoutingContext
    policies: Mapping[str, Policy] = field(default_factory=dict)
    campaign_policies: Mapping[str, str | None] = field(default_factory=dict)
    """The policy each campaign names (none: ``default``)."""
    candidate: Policy | None = None
    """A policy tried instead of every campaign's (the what-if simulation)."""

    def policy(self, lead: LeadFacts) -> Policy:
        if self.candidate is not None:
            return self.candidate
        return policy_for(self.policies, self.campaign_policies.get(lead.campaign_id))


def decide_in_turn(
    lead: LeadFacts, context: RoutingContext, policy: Policy, now: datetime, *, new: bool = True
) -> Decision:
    """Decide ``lead`` and carry the decision into ``context``: an assignment adds to
    its salesperson's load; a ``new`` lead (not stored yet, so not among the known
    leads) that was not merged becomes known to the leads after it."""
    decision = decide(lead, context, policy, now)
    if decision.outcome == "assigned" and decision.salesperson_id is not None:
        context.load.assign(decision.salesperson_id, pool=decision.pool, value=lead.value)
    if new and decision.outcome != "merged":
        assert lead.lead_id is not None
        context.remember(
            KnownLead(
                id=lead.lead_id,
                lead_key=lead.lead_key,
                received_at=lead.received_at,
                status=decision.outcome,
                owner_id=decision.salesperson_id,
                email_key=lead.email_key,
                phone_key=lead.phone_key,
                company_domain=lead.company_domain,
            )
        )
    return decision


def decide_batch(
    leads: Sequence[LeadFacts], snapshot: Snapshot, now: datetime, *, new: bool = True
) -> list[Decision]:
    """Each lead's decision, in order. ``new``: the leads are not stored yet (a stored
    lead routed again is among the known leads already)."""
    context = snapshot.context
    return [decide_in_turn(lead, context, snapshot.policy(lead), now, new=new) for lead in leads]
