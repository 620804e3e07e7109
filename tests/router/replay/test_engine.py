"""The replay's pure core: each lead decided at its own instant under the policy
version then in force, the load rebuilt as leads open and close, and the report's
SLA exposure (no database)."""

import uuid
from datetime import UTC, datetime, time, timedelta

from leadrouter_router.policies.policy import Policy, PolicyDocument
from leadrouter_router.replay.engine import Replay, StoredLead
from leadrouter_router.replay.report import ReplayTally
from leadrouter_router.routing.facts import AccountIndex, Person
from leadrouter_router.routing.snapshot import Configuration
from leadrouter_schemas import Company, LeadScoredData
from tests.support.samples import lead, score

MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
OFFICE = {day: ((time(9), time(17)),) for day in range(1, 6)}
ANA = Person(id=uuid.uuid4(), name="Ana", time_zone="Europe/Madrid", working_hours=OFFICE)
BEN = Person(id=uuid.uuid4(), name="Ben", max_open=1)
CONFIGURATION = Configuration(
    people={ANA.id: ANA, BEN.id: BEN},
    pools={"team": [ANA.id, BEN.id], "ben-only": [BEN.id]},
    territories=(),
    accounts=(),
    account_index=AccountIndex(()),
    policies={},
)
TEAM = PolicyDocument.model_validate(
    {"rules": [{"name": "team", "pool": "team"}], "allow_after_hours": True}
)
BEN_ONLY = PolicyDocument.model_validate({"rules": [{"name": "ben", "pool": "ben-only"}]})
VERSIONS = {
    "default": [
        (MONDAY - timedelta(days=7), Policy(name="default", version=1, document=TEAM)),
        (MONDAY + timedelta(days=2), Policy(name="default", version=2, document=BEN_ONLY)),
    ]
}


def stored(name: str, at: datetime, closed_at: datetime | None) -> StoredLead:
    email = f"{name}@{name}.example"
    one = lead(email, company=Company(name=name, domain=f"{name}.example"))
    return StoredLead(
        id=uuid.uuid4(),
        received_at=at,
        data=LeadScoredData(lead=one, score=score()),
        product_line=None,
        policy_name=None,
        sla={"accept_within_minutes": 30},
        recorded_owner=None,
        outcome="won" if closed_at else "open",
        closed_at=closed_at,
    )


# Monday 21:00 in Madrid (after Ana's hours); Tuesday 11:00; Thursday 11:00 (after v2).
NIGHT = stored("night", MONDAY + timedelta(hours=12), None)
TUESDAY = stored("tuesday", MONDAY + timedelta(days=1, hours=2), MONDAY + timedelta(days=2))
THURSDAY = stored("thursday", MONDAY + timedelta(days=3, hours=2), None)


def test_each_lead_gets_the_policy_version_of_its_time_and_the_load_of_its_time() -> None:
    replay = Replay(CONFIGURATION, policy_versions=VERSIONS)
    night, tuesday, thursday = (replay.decide(one) for one in (NIGHT, TUESDAY, THURSDAY))
    # v1: round robin over the team, after hours allowed; v2 from Wednesday: Ben only,
    # who holds one open lead at most: Tuesday's was closed on Wednesday.
    assert (night.owner, tuesday.owner, thursday.owner) == (ANA.id, BEN.id, BEN.id)
    # Ana's deadline waits for her Tuesday morning: 09:30 in Madrid.
    assert night.accept_due_at == datetime(2026, 11, 24, 8, 30, tzinfo=UTC)
    assert tuesday.accept_due_at == TUESDAY.received_at + timedelta(minutes=30)


def test_an_open_lead_keeps_weighing_on_its_owner() -> None:
    still_open = stored("tuesday", TUESDAY.received_at, None)
    replay = Replay(CONFIGURATION, policy_versions=VERSIONS)
    replay.decide(NIGHT)
    replay.decide(still_open)
    assert replay.decide(THURSDAY).outcome == "unassigned"  # Ben is at his open cap


def test_the_tally_moves_only_what_the_candidate_changes() -> None:
    as_is = Replay(CONFIGURATION, policy_versions=VERSIONS)
    same = Replay(CONFIGURATION, policy_versions=VERSIONS)
    team = Replay(
        CONFIGURATION,
        policy_versions=VERSIONS,
        candidate=Policy(name="candidate", version=1, document=TEAM),
    )
    unchanged, changed = ReplayTally(), ReplayTally()
    for one in (NIGHT, TUESDAY, THURSDAY):
        before = as_is.decide(one)
        unchanged.add(one, before, same.decide(one))
        changed.add(one, before, team.decide(one))

    assert unchanged.moved == []
    (moved,) = changed.moved
    # The team's rotation gives Thursday's lead to Ana, after Ben had Tuesday's.
    assert (moved.lead, moved.before.owner, moved.after.owner) == (THURSDAY, BEN.id, ANA.id)
    assert moved.changes == ("owner",)
    assert changed.outcomes_of_moved == {"open": 1}
    loads = {row.salesperson_id: (row.before, row.after) for row in changed.loads([ANA.id])}
    assert loads == {ANA.id: (1, 2), BEN.id: (2, 1)}
    exposed, candidate_exposed = changed.exposure("before"), changed.exposure("after")
    assert (exposed.with_target, exposed.deferred) == (3, 1)  # the night lead waits for Ana
    # Thursday 11:00 is within Ana's hours: nothing more deferred.
    assert (candidate_exposed.with_target, candidate_exposed.deferred) == (3, 1)
    assert exposed.p50_minutes_to_deadline == 30
    assert exposed.p90_minutes_to_deadline is not None
    assert exposed.p90_minutes_to_deadline > 600  # Monday 21:00 to Tuesday 09:30
