"""Use cases around policies and the what-if simulation (the caller's transaction)."""

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.campaigns import repository as campaigns
from leadrouter_router.errors import UnknownReference
from leadrouter_router.routing import repository
from leadrouter_router.routing.engine import Decision, decide
from leadrouter_router.routing.facts import KnownLead, LeadFacts
from leadrouter_router.routing.models import RoutingPolicyRow
from leadrouter_router.routing.policy import Policy, PolicyDocument
from leadrouter_router.routing.snapshot import (
    EVERYONE_POOL,
    load_configuration,
    load_context,
    policy_for,
)
from leadrouter_router.salespeople import repository as salespeople
from leadrouter_schemas import LeadScoredData


async def check_references(session: AsyncSession, document: PolicyDocument) -> None:
    """Every pool a policy names is a team; the fallback owner is a salesperson."""
    teams = {team.name for team in await salespeople.all_teams(session)} | {EVERYONE_POOL}
    pools = {rule.pool for rule in document.rules}
    if document.fallback.pool is not None:
        pools.add(document.fallback.pool)
    unknown = sorted(pools - teams)
    if unknown:
        raise UnknownReference(f"No team (pool) named {', '.join(unknown)}.")
    owner = document.fallback.owner_email
    if owner is not None and not await salespeople.by_emails(session, [owner]):
        raise UnknownReference(f"No salesperson with e-mail {owner} (fallback owner).")


async def save_policy(
    session: AsyncSession, name: str, document: PolicyDocument, *, now: datetime
) -> tuple[RoutingPolicyRow, bool]:
    """A new version unless the document is the current one. Returns (row, created)."""
    await check_references(session, document)
    current = (await repository.latest_policies(session, [name])).get(name)
    stored = document.model_dump(mode="json")
    if current is not None and current.document == stored:
        return current, False
    row = RoutingPolicyRow(
        id=uuid.uuid4(),
        name=name,
        version=(current.version + 1) if current else 1,
        document=stored,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row, True


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
