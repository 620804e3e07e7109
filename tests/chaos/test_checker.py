"""The set checker over hand-made observations: each promise it holds, broken once."""

from datetime import UTC, datetime, timedelta

from leadrouter_chaos.checker import (
    Acked,
    CrmRequest,
    Observations,
    RouterAssignment,
    RouterLead,
    TopicAssignment,
    check,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def reassigned_lead(
    *,
    crm_order: tuple[str, ...] = ("a1", "a2"),
    topic_order: tuple[str, ...] = ("a1", "a2"),
) -> Observations:
    """Lead L1, first assigned to s1 (a1), then re-assigned to s2 (a2) after a reject."""
    owner = {"a1": "s1", "a2": "s2"}
    return Observations(
        acked=[Acked("c1", "valid")],
        leads=[RouterLead("L1", "c1", "assigned", "s2")],
        assignments=[
            RouterAssignment("a2", "L1", "s2", T0 + timedelta(seconds=5), "new"),
            RouterAssignment("a1", "L1", "s1", T0, "rejected"),
        ],
        crm=[
            CrmRequest(n, "L1", a, owner[a], idempotency_key=a, recorded=True)
            for n, a in enumerate(crm_order)
        ],
        assigned_topic=[TopicAssignment("L1", a, f"e-{a}") for a in topic_order],
    )


def test_a_reassigned_lead_delivered_in_order_passes() -> None:
    verdict = check(reassigned_lead())
    assert verdict.ok, verdict.problems
    assert verdict.end_states["assigned"] == 1
    assert verdict.reassigned_leads == 1


def test_an_older_assignment_superseded_before_it_reached_anyone_passes() -> None:
    verdict = check(reassigned_lead(crm_order=("a2",), topic_order=("a2",)))
    assert verdict.ok, verdict.problems


def test_the_old_owner_arriving_last_at_the_crm_is_out_of_order_and_the_wrong_owner() -> None:
    # The outbox bug of issue 12: the reject's new owner posted first, the retried
    # first assignment after it.
    verdict = check(reassigned_lead(crm_order=("a2", "a1")))
    assert verdict.out_of_order == 1
    assert verdict.wrong_final_owner == 1
    assert not verdict.ok


def test_leads_assigned_in_the_reverse_order_is_out_of_order() -> None:
    verdict = check(reassigned_lead(topic_order=("a2", "a1")))
    assert verdict.out_of_order == 1
    assert verdict.wrong_final_owner == 0


def test_the_current_assignment_missing_at_the_crm_or_on_the_topic_is_lost() -> None:
    verdict = check(reassigned_lead(crm_order=(), topic_order=("a1",)))
    assert verdict.lost_at_crm == 1
    assert verdict.lost_on_topic == 1


def test_a_repeat_with_the_same_key_is_harmless_and_with_another_key_a_duplicate() -> None:
    seen = reassigned_lead()
    same = CrmRequest(9, "L1", "a2", "s2", idempotency_key="a2", recorded=False)
    assert check(Observations(**{**vars(seen), "crm": [*seen.crm, same]})).ok

    other = CrmRequest(9, "L1", "a2", "s2", idempotency_key="another", recorded=True)
    verdict = check(Observations(**{**vars(seen), "crm": [*seen.crm, other]}))
    assert verdict.duplicated == 2  # two keys for a2, and a2 recorded twice


def test_the_same_assignment_as_two_events_on_the_topic_is_a_duplicate() -> None:
    seen = reassigned_lead()
    twice = [*seen.assigned_topic, TopicAssignment("L1", "a2", "another-event")]
    again = [*seen.assigned_topic, TopicAssignment("L1", "a2", "e-a2")]
    assert check(Observations(**{**vars(seen), "assigned_topic": twice})).duplicated == 1
    redelivered = check(Observations(**{**vars(seen), "assigned_topic": again}))
    assert redelivered.ok
    assert redelivered.topic_repeats == 1


def test_an_acknowledged_lead_in_no_end_state_is_lost_and_in_two_is_duplicated() -> None:
    seen = Observations(
        acked=[Acked("nowhere", "valid"), Acked("waiting", "valid"), Acked("twice", "invalid")],
        leads=[
            RouterLead("L2", "waiting", "unassigned", None),
            RouterLead("L3", "twice", "merged", None),
        ],
        assignments=[],
        crm=[],
        assigned_topic=[],
        rejected={"twice": {"e1"}},
    )
    verdict = check(seen)
    assert verdict.lost == 2
    assert verdict.duplicated == 1


def test_every_end_state_is_counted() -> None:
    seen = Observations(
        acked=[Acked(c, "valid") for c in ("m", "r", "d", "q")],
        leads=[RouterLead("L4", "m", "merged", None)],
        assignments=[],
        crm=[],
        assigned_topic=[],
        rejected={"r": {"e1"}},
        dead_letters={"d": 1},
        quarantined={"q": 2},
    )
    verdict = check(seen)
    assert verdict.ok, verdict.problems
    assert dict(verdict.end_states) == {
        "merged": 1,
        "rejected": 1,
        "dead_letter": 1,
        "quarantined": 1,
    }


def test_a_router_owner_who_is_not_the_last_assignment_is_reported() -> None:
    seen = reassigned_lead()
    stale = [RouterLead("L1", "c1", "assigned", "s1")]
    verdict = check(Observations(**{**vars(seen), "leads": stale}))
    assert verdict.router_inconsistent == 1
