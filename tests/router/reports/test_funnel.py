import uuid
from datetime import UTC, datetime, timedelta

import pytest

from leadrouter_router.reports.funnel import (
    AssignmentFact,
    LeadFact,
    RejectionFact,
    campaign_funnels,
    gini,
    percentile,
    pool_fairness,
    salesperson_loads,
)

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ANA, BEN, CID = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def lead(campaign: str = "c1", status: str = "assigned") -> LeadFact:
    return LeadFact(id=uuid.uuid4(), campaign_id=campaign, received_at=T0, status=status)


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([], 0.5) is None
    assert percentile([10.0], 0.9) == 10.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([0.0, 10.0], 0.9) == pytest.approx(9.0)


def test_gini_is_zero_when_equal_and_grows_with_concentration() -> None:
    assert gini([]) is None
    assert gini([0.0, 0.0]) == 0.0
    assert gini([5.0, 5.0, 5.0]) == 0.0
    assert gini([0.0, 0.0, 0.0, 12.0]) == pytest.approx(0.75)
    assert gini([1.0, 2.0, 3.0]) == pytest.approx(2 / 9)


def test_the_funnel_counts_each_step_and_leakage_per_campaign() -> None:
    won, leaked, waiting, duplicate, fresh = (
        lead(),
        lead(),
        lead("c1", "unassigned"),
        lead("c1", "merged"),
        lead(),
    )
    other = lead("c2")
    assignments = [
        # won: rejected by Ana first, then accepted and touched by Ben
        AssignmentFact(won.id, ANA, "emea", minutes(1), "rejected"),
        AssignmentFact(
            won.id,
            BEN,
            "emea",
            minutes(20),
            "won",
            accepted_at=minutes(25),
            first_touch_at=minutes(40),
        ),
        AssignmentFact(
            leaked.id,
            BEN,
            "emea",
            minutes(3),
            "bought_elsewhere",
            accepted_at=minutes(4),
            first_touch_at=minutes(100),
        ),
        AssignmentFact(fresh.id, ANA, "emea", minutes(5), "new"),
        AssignmentFact(other.id, ANA, None, minutes(2), "new"),
    ]
    c1, c2 = campaign_funnels([won, leaked, waiting, duplicate, fresh, other], assignments)
    assert (c1.campaign_id, c1.received, c1.valid) == ("c1", 5, 4)
    assert dict(c1.counts) == {
        "assigned": 3,
        "accepted": 2,
        "contacted": 2,
        "won": 1,
        "lost": 0,
        "bought_elsewhere": 1,
        "unreachable": 0,
    }
    assert c1.rates["bought_elsewhere"] == 0.25
    assert c1.time_to_assign.count == 3
    assert c1.time_to_assign.p50_s == 180.0  # 1, 3 and 5 minutes: the first assignment
    assert c1.time_to_first_touch.p50_s == pytest.approx(70 * 60)
    assert c2.counts["assigned"] == 1
    assert c2.time_to_first_touch.p50_s is None


def test_received_is_everything_accepted_and_rejected_leads_are_counted_by_reason() -> None:
    scored = [lead(), lead(), lead("c1", "merged"), lead("c1", "unassigned")]
    rejections = [
        RejectionFact("c1", ("email.disposable", "consent.missing")),
        RejectionFact("c1", ("email.disposable",)),
        RejectionFact("c1", ("spam.honeypot",)),
        RejectionFact("c2", ("campaign.unknown",)),
    ]
    c1, c2 = campaign_funnels(scored, [], rejections)
    assert (c1.received, c1.valid, c1.rejected) == (7, 3, 3)  # 3 valid + 1 merged + 3 rejected
    assert dict(c1.rejected_by_reason) == {
        "email.disposable": 2,
        "consent.missing": 1,
        "spam.honeypot": 1,
    }
    assert list(c1.rejected_by_reason) == ["email.disposable", "consent.missing", "spam.honeypot"]
    assert c1.rates["valid"] == pytest.approx(3 / 7)
    assert c1.rates["assigned"] == 0.0  # steps stay shares of valid
    assert (c2.campaign_id, c2.received, c2.rejected) == ("c2", 1, 1)


def test_a_campaign_with_only_rejections_in_the_period_is_reported() -> None:
    (only,) = campaign_funnels([], [], [RejectionFact("junk", ("spam.test_value",))] * 2)
    assert (only.campaign_id, only.received, only.valid, only.rejected) == ("junk", 2, 0, 2)
    assert dict(only.rejected_by_reason) == {"spam.test_value": 2}
    assert only.rates["valid"] == 0.0
    assert only.rates["assigned"] is None
    assert set(only.counts.values()) == {0}
    assert only.time_to_assign.count == 0


def test_a_lead_failing_one_code_on_several_fields_counts_once_for_it() -> None:
    (funnel,) = campaign_funnels(
        [], [], [RejectionFact("c1", ("field.missing", "field.missing", "email.invalid"))]
    )
    assert funnel.rejected == 1
    assert dict(funnel.rejected_by_reason) == {"email.invalid": 1, "field.missing": 1}


def test_without_rejections_the_funnel_has_none() -> None:
    (funnel,) = campaign_funnels([lead()], [])
    assert (funnel.received, funnel.valid, funnel.rejected) == (1, 1, 0)
    assert dict(funnel.rejected_by_reason) == {}
    assert funnel.rates["valid"] == 1.0


def test_sla_hit_rate_counts_met_and_missed_targets_only() -> None:
    facts = [
        AssignmentFact(
            uuid.uuid4(),
            ANA,
            "p",
            T0,
            "contacted",
            accepted_at=minutes(5),
            first_touch_at=minutes(90),
            accept_due_at=minutes(10),
            touch_due_at=minutes(60),
        ),
        AssignmentFact(
            uuid.uuid4(),
            ANA,
            "p",
            T0,
            "breached",
            accept_due_at=minutes(10),
            touch_due_at=minutes(60),
            ended_at=minutes(11),
        ),
        AssignmentFact(uuid.uuid4(), ANA, "p", T0, "new", accept_due_at=minutes(10)),
        AssignmentFact(uuid.uuid4(), BEN, "p", T0, "won", accepted_at=minutes(1)),
    ]
    ana, ben = sorted(salesperson_loads(facts), key=lambda load: load.salesperson_id != ANA)
    assert (ana.assignments, ana.open, ana.sla_met, ana.sla_missed) == (3, 2, 1, 2)
    assert ana.sla_hit_rate == pytest.approx(1 / 3)
    assert ana.conversion == 0.0  # two worked, none won; the breached one is not hers
    assert (ben.sla_hit_rate, ben.conversion) == (None, 1.0)


def test_pool_fairness_counts_members_who_got_nothing() -> None:
    facts = [AssignmentFact(uuid.uuid4(), ANA, "emea", T0, "new") for _ in range(4)]
    (emea,) = pool_fairness(facts, {"emea": [ANA, BEN]})
    assert (emea.members, emea.assignments) == (2, 4)
    assert emea.gini == pytest.approx(0.5)
    (balanced,) = pool_fairness(
        [AssignmentFact(uuid.uuid4(), p, "x", T0, "new") for p in (ANA, BEN, CID)], {}
    )
    assert balanced.gini == 0.0
