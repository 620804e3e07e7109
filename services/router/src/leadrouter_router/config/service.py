"""Config as code: export the set-up as one YAML document; import one, validated whole
before anything is written, applied in the caller's single transaction."""

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta

from pydantic import ValidationError
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.campaigns import repository as campaigns
from leadrouter_router.campaigns import service as campaign_service
from leadrouter_router.campaigns.schemas import CampaignBody, CampaignIn
from leadrouter_router.config.schemas import ImportResult, NamedPolicy, SetupDocument
from leadrouter_router.policies import repository as policy_store
from leadrouter_router.policies import service as policy_service
from leadrouter_router.policies.models import RoutingPolicyRow
from leadrouter_router.policies.policy import DEFAULT_POLICY_NAME, EVERYONE_POOL, PolicyDocument
from leadrouter_router.salespeople import repository as salespeople
from leadrouter_router.salespeople import service as salespeople_service
from leadrouter_router.salespeople.schemas import SalespersonIn, TeamIn
from leadrouter_router.territories import repository as territories
from leadrouter_router.territories.models import TerritoryRow
from leadrouter_router.territories.schemas import TerritoryIn
from leadrouter_runtime.problems import InvalidParam, Problem, invalid_params_of
from leadrouter_runtime.values import nul_paths


class InvalidSetup(Problem):
    status = 422
    title = "The set-up document is not valid"

    def __init__(self, detail: str, params: list[InvalidParam]) -> None:
        super().__init__(detail, invalid_params=params)


def parse(text: bytes) -> SetupDocument:
    import yaml  # only to import or export a set-up: not loaded at start-up (#15)

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidSetup(f"Not YAML: {error}", []) from error
    except RecursionError as error:  # PyYAML's composer recurses per nesting level
        raise InvalidSetup("The YAML is nested too deep.", []) from error
    nul = nul_paths(data)
    if nul:
        params = [InvalidParam(name=path, reason="must not contain NUL (U+0000)") for path in nul]
        raise InvalidSetup("; ".join(f"{p.name}: {p.reason}" for p in params), params)
    try:
        document = SetupDocument.model_validate(data if data is not None else {})
    except ValidationError as error:
        params = invalid_params_of(error.errors())
        raise InvalidSetup("; ".join(f"{p.name}: {p.reason}" for p in params), params) from error
    problems = references(document)
    if problems:
        raise InvalidSetup("; ".join(f"{p.name}: {p.reason}" for p in problems), problems)
    return document


def _duplicates(kind: str, names: Iterable[str]) -> list[InvalidParam]:
    return [
        InvalidParam(name=kind, reason=f"{name!r} appears {count} times")
        for name, count in Counter(names).items()
        if count > 1
    ]


def references(document: SetupDocument) -> list[InvalidParam]:
    """Everything the document names must be in it; names must be unique."""
    found = [
        *_duplicates("teams", (t.name for t in document.teams)),
        *_duplicates("salespeople", (p.email for p in document.salespeople)),
        *_duplicates("territories", (t.name for t in document.territories)),
        *_duplicates("policies", (p.name for p in document.policies)),
        *_duplicates("campaigns", (c.campaign_id for c in document.campaigns)),
    ]
    teams = {team.name for team in document.teams}
    emails = {person.email for person in document.salespeople}
    for i, person in enumerate(document.salespeople):
        for team in sorted(set(person.teams) - teams):
            found.append(InvalidParam(name=f"salespeople.{i}.teams", reason=f"no team {team!r}"))
    for i, policy in enumerate(document.policies):
        for j, rule in enumerate(policy.rules):
            if rule.pool not in teams | {EVERYONE_POOL}:
                found.append(
                    InvalidParam(
                        name=f"policies.{i}.rules.{j}.pool", reason=f"no team {rule.pool!r}"
                    )
                )
        pool, owner = policy.fallback.pool, policy.fallback.owner_email
        if pool is not None and pool not in teams | {EVERYONE_POOL}:
            found.append(
                InvalidParam(name=f"policies.{i}.fallback.pool", reason=f"no team {pool!r}")
            )
        if owner is not None and owner not in emails:
            found.append(
                InvalidParam(
                    name=f"policies.{i}.fallback.owner_email", reason=f"no salesperson {owner!r}"
                )
            )
    policies = {policy.name for policy in document.policies} | {DEFAULT_POLICY_NAME}
    for i, campaign in enumerate(document.campaigns):
        if campaign.policy is not None and campaign.policy not in policies:
            found.append(
                InvalidParam(name=f"campaigns.{i}.policy", reason=f"no policy {campaign.policy!r}")
            )
    return found


async def export(session: AsyncSession) -> SetupDocument:
    team_rows = await salespeople.all_teams(session)
    people = await salespeople.all_salespeople(session)
    people_out = await salespeople_service.salesperson_out(session, people)
    policies = await policy_store.latest_policies(session)
    return SetupDocument(
        teams=[TeamIn(name=t.name, description=t.description) for t in team_rows],
        salespeople=[
            SalespersonIn.model_validate(out.model_dump(exclude={"id", "created_at", "updated_at"}))
            for out in people_out
        ],
        territories=[
            TerritoryIn.model_validate(
                {name: getattr(row, name) for name in TerritoryIn.model_fields}
            )
            for row in await territories.all_territories(session)
        ],
        policies=[
            NamedPolicy.model_validate({**policies[name].document, "name": name})
            for name in sorted(policies)
        ],
        campaigns=[
            CampaignIn.model_validate(
                {
                    **campaign_service.campaign_out(row).model_dump(
                        mode="json", exclude={"version", "updated_at"}
                    )
                }
            )
            for row in await campaigns.all_campaigns(session)
        ],
    )


def dump(document: SetupDocument) -> str:
    import yaml  # only to export or import a set-up: not loaded at start-up (#15)

    from leadrouter_router.config.portable_yaml import PortableDumper

    data = document.model_dump(mode="json", exclude_defaults=False)
    return yaml.dump(data, Dumper=PortableDumper, sort_keys=False, allow_unicode=True)


async def apply(
    session: AsyncSession,
    document: SetupDocument,
    *,
    now: datetime,
    topic_prefix: str,
    prune: bool,
) -> ImportResult:
    """Create or update everything the document names (by name, e-mail or id). With
    ``prune``, what it does not name goes: salespeople leave, campaigns end, teams,
    territories and policies are removed."""
    pruned = 0
    existing_teams = {t.name: t for t in await salespeople.all_teams(session)}
    for team in document.teams:
        row = existing_teams.get(team.name)
        if row is None:
            await salespeople_service.create_team(session, team, now=now)
        else:
            await salespeople_service.update_team(session, row, team)
    by_email = await salespeople.by_emails(session, [p.email for p in document.salespeople])
    for position, person in enumerate(document.salespeople):
        current = by_email.get(person.email)
        if current is None:
            # Creation order is rotation order: keep the document's order.
            at = now + timedelta(microseconds=position)
            await salespeople_service.create_salesperson(session, person, now=at)
        else:
            await salespeople_service.update_salesperson(session, current, person, now=now)
    for territory in document.territories:
        place = await territories.by_name(session, territory.name)
        if place is None:
            session.add(TerritoryRow(created_at=now, **territory.model_dump()))
        else:
            for name, value in territory.model_dump().items():
                setattr(place, name, value)
    await session.flush()
    for policy in document.policies:
        body = PolicyDocument.model_validate(policy.model_dump(exclude={"name"}))
        await policy_service.save_policy(session, policy.name, body, now=now)
    for campaign in document.campaigns:
        settings = CampaignBody.model_validate(campaign.model_dump(exclude={"campaign_id"}))
        await campaign_service.save_campaign(
            session, campaign.campaign_id, settings, now=now, topic_prefix=topic_prefix
        )
    if prune:
        pruned = await _prune(session, document, now=now, topic_prefix=topic_prefix)
    await session.flush()
    return ImportResult(
        teams=len(document.teams),
        salespeople=len(document.salespeople),
        territories=len(document.territories),
        policies=len(document.policies),
        campaigns=len(document.campaigns),
        pruned=pruned,
    )


async def _prune(
    session: AsyncSession, document: SetupDocument, *, now: datetime, topic_prefix: str
) -> int:
    pruned = 0
    emails = {p.email for p in document.salespeople}
    for person in await salespeople.all_salespeople(session):
        if person.email not in emails and person.status != "left":
            person.status, person.updated_at = "left", now
            await salespeople.remove_memberships(session, person.id)
            pruned += 1
    teams = {t.name for t in document.teams}
    for team in await salespeople.all_teams(session):
        if team.name not in teams:
            await session.delete(team)
            pruned += 1
    names = {t.name for t in document.territories}
    for territory in await territories.all_territories(session):
        if territory.name not in names:
            await session.delete(territory)
            pruned += 1
    policies = {p.name for p in document.policies}
    gone = [name for name in await policy_store.latest_policies(session) if name not in policies]
    if gone:
        await session.execute(delete(RoutingPolicyRow).where(RoutingPolicyRow.name.in_(gone)))
        pruned += len(gone)
    ids = {c.campaign_id for c in document.campaigns}
    for row in await campaigns.all_campaigns(session):
        if row.campaign_id not in ids and row.active:
            row.active, row.version, row.updated_at = False, row.version + 1, now
            campaign_service.publish(session, row, now=now, topic_prefix=topic_prefix)
            pruned += 1
    return pruned
