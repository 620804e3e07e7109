"""The broker as the webhooks last found it (pure: time is an argument)."""

from leadrouter_scorer.webhooks.broker import BrokerState


def test_a_failed_publication_marks_kafka_down_until_the_window_ends() -> None:
    state = BrokerState(down_for_s=10)
    assert state.wait_s(100.0) is None
    state.failed(100.0)
    assert state.wait_s(104.0) == 6.0
    assert state.wait_s(110.0) is None, "then tried again"


def test_a_success_clears_the_mark_at_once() -> None:
    state = BrokerState(down_for_s=10)
    state.failed(100.0)
    state.succeeded()
    assert state.wait_s(100.5) is None
