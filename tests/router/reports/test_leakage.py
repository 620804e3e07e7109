import uuid
from datetime import UTC, datetime, timedelta

import pytest

from leadrouter_router.reports.funnel import AssignmentFact
from leadrouter_router.reports.leakage import (
    NOT_TOUCHED,
    LeakLead,
    LeakRow,
    leakage,
    touch_bucket,
    wilson,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ANA, BEN = uuid.uuid4(), uuid.uuid4()


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def lead(grade: str = "A", source: str = "hubspot") -> LeakLead:
    return LeakLead(uuid.uuid4(), grade, source, T0)


def closed(
    one: LeakLead,
    stage: str,
    *,
    touched: float | None,
    who: uuid.UUID = ANA,
    pool: str | None = "emea",
    accept_due: float | None = None,
    accepted: float | None = None,
) -> AssignmentFact:
    return AssignmentFact(
        one.id,
        who,
        pool,
        at(0),
        stage,
        accepted_at=at(accepted) if accepted is not None else None,
        first_touch_at=at(touched) if touched is not None else None,
        accept_due_at=at(accept_due) if accept_due is not None else None,
        ended_at=at(600),
    )


def row(rows: list[LeakRow], key: str) -> LeakRow:
    (found,) = [r for r in rows if r.key == key]
    return found


def test_buckets_include_their_bound_and_the_last_is_open_ended() -> None:
    assert touch_bucket(0) == touch_bucket(300) == "5 min"
    assert touch_bucket(301) == "30 min"
    assert touch_bucket(3600) == "1 h"
    assert touch_bucket(4 * 3600 + 1) == "1 day"
    assert touch_bucket(86_401) == "later"
    assert touch_bucket(None) == NOT_TOUCHED


def test_the_wilson_interval_brackets_the_rate_and_narrows_with_more_leads() -> None:
    assert wilson(0, 0) is None
    low, high = wilson(5, 10) or (0, 0)
    assert low < 0.5 < high
    assert wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    wide, narrow = wilson(20, 100) or (0, 0), wilson(200, 1000) or (0, 0)
    assert narrow[1] - narrow[0] < wide[1] - wide[0]


def test_outcome_rates_are_shares_of_the_closed_leads_of_each_group() -> None:
    fast_won, fast_lost, slow_gone, slow_won, waiting, never = (lead() for _ in range(6))
    c_lead = lead("C", "facebook")
    unassigned = lead()
    assignments = [
        closed(fast_won, "won", touched=3),
        closed(fast_lost, "lost", touched=5),
        closed(slow_gone, "bought_elsewhere", touched=60 * 30, who=BEN),
        closed(slow_won, "won", touched=60 * 30, who=BEN),
        AssignmentFact(waiting.id, BEN, "emea", at(0), "accepted", accepted_at=at(1)),
        closed(never, "unreachable", touched=None, pool=None),
        closed(c_lead, "bought_elsewhere", touched=20),
    ]
    report = leakage(
        [fast_won, fast_lost, slow_gone, slow_won, waiting, never, c_lead, unassigned],
        assignments,
    )

    assert (report.leads, report.closed) == (7, 6)  # the unassigned lead is not counted
    times = report.by_time_to_first_touch
    assert [r.key for r in times] == [
        "5 min",
        "30 min",
        "1 h",
        "4 h",
        "1 day",
        "later",
        NOT_TOUCHED,
    ]
    five = row(times, "5 min")
    assert (five.leads, five.closed, five.outcomes["won"], five.rates["won"]) == (2, 2, 1, 0.5)
    later = row(times, "later")
    assert later.rates["bought_elsewhere"] == 0.5
    assert row(times, "1 h").rates["won"] is None  # nothing there
    assert row(times, NOT_TOUCHED).outcomes["unreachable"] == 1
    assert row(times, "4 h").leads == 0
    # The lead still waiting counts as open in its group and in no rate.
    assert row(times, NOT_TOUCHED).open == 1

    grades = report.by_grade
    assert [r.key for r in grades] == ["A", "B", "C", "D"]
    assert row(grades, "C").rates["bought_elsewhere"] == 1.0
    assert row(grades, "A").rates["won"] == pytest.approx(2 / 5)
    assert {r.key for r in report.by_source} == {"hubspot", "facebook"}
    assert row(report.by_salesperson, str(BEN)).leads == 3
    assert row(report.by_pool, "(none)").closed == 1


def test_a_lead_counts_under_the_assignment_that_closed_it_and_any_missed_target() -> None:
    passed_on, on_time = lead(), lead()
    assignments = [
        # Ana missed the accept deadline, Ben won it.
        AssignmentFact(
            passed_on.id, ANA, "emea", at(0), "breached", accept_due_at=at(5), ended_at=at(5)
        ),
        closed(passed_on, "won", touched=20, who=BEN, pool="us"),
        closed(on_time, "lost", touched=8, accept_due=5, accepted=2),
    ]
    report = leakage([passed_on, on_time], assignments)
    assert row(report.by_salesperson, str(BEN)).outcomes["won"] == 1
    assert row(report.by_pool, "us").leads == 1
    assert [(r.key, r.leads) for r in report.by_sla] == [("met", 1), ("missed", 1), ("none", 0)]
    assert row(report.by_sla, "missed").outcomes["won"] == 1
