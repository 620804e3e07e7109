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
    state.succeeded(100.2)
    assert state.wait_s(100.5) is None


def test_running_over_the_budget_while_others_are_acknowledged_is_slow_not_down() -> None:
    state = BrokerState(down_for_s=10)
    state.succeeded(100.4)  # another publication, begun later, acknowledged meanwhile

    assert state.timed_out(started=100.0, now=101.0) is False
    assert state.wait_s(101.0) is None, "the next request still tries Kafka"


def test_running_over_the_budget_with_nothing_acknowledged_since_marks_kafka_down() -> None:
    state = BrokerState(down_for_s=10)
    state.succeeded(99.0)  # before this publication began: says nothing of now

    assert state.timed_out(started=100.0, now=101.0) is True
    assert state.wait_s(101.0) == 10.0
