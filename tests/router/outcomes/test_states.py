import pytest

from leadrouter_router.outcomes.states import OutOfOrder, Transition, advance


def test_a_lead_goes_from_accepted_through_first_touch_to_won() -> None:
    assert advance("new", "accept") == Transition("accepted")
    assert advance("accepted", "activity") == Transition("contacted", first_touch=True)
    assert advance("contacted", "activity") == Transition("contacted")
    assert advance("contacted", "outcome", "won") == Transition("won", closes_lead=True)


def test_an_outcome_may_follow_acceptance_without_a_recorded_touch() -> None:
    assert advance("accepted", "outcome", "unreachable").stage == "unreachable"


@pytest.mark.parametrize("stage", ["new", "accepted"])
def test_reject_and_breach_send_the_lead_to_be_routed_again(stage: str) -> None:
    assert advance(stage, "reject") == Transition("rejected", reroute=True)
    assert advance(stage, "breach") == Transition("breached", reroute=True)


def test_won_before_accepted_is_out_of_order_and_names_the_stage() -> None:
    with pytest.raises(OutOfOrder) as caught:
        advance("new", "outcome", "won")
    assert caught.value.stage == "new"
    assert "expected accept or reject" in caught.value.detail


@pytest.mark.parametrize(
    ("stage", "action"),
    [
        ("accepted", "accept"),
        ("new", "activity"),
        ("contacted", "reject"),
        ("contacted", "breach"),
        ("rejected", "accept"),
        ("breached", "accept"),
        ("won", "activity"),
        ("lost", "outcome"),
        ("bought_elsewhere", "reject"),
    ],
)
def test_events_out_of_order_are_refused(stage: str, action: str) -> None:
    with pytest.raises(OutOfOrder) as caught:
        advance(stage, action, "lost")  # type: ignore[arg-type]
    assert caught.value.stage == stage


def test_an_outcome_without_its_kind_is_refused() -> None:
    with pytest.raises(OutOfOrder):
        advance("accepted", "outcome")
