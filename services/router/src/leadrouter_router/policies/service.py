"""Policy changes: the references a policy makes, and a new version on each change
(the caller's transaction)."""

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.errors import UnknownReference
from leadrouter_router.policies import repository
from leadrouter_router.policies.models import RoutingPolicyRow
from leadrouter_router.policies.policy import EVERYONE_POOL, PolicyDocument
from leadrouter_router.salespeople import repository as salespeople


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
