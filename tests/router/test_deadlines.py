import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest

from leadrouter_router.routing.deadlines import (
    Deadlines,
    assignment_deadlines,
    business_deadline,
    next_deadline,
    target_minutes,
)
from leadrouter_router.routing.facts import Person
from leadrouter_router.sla.service import missed_target

NINE_TO_FIVE = {day: ((time(9), time(17)),) for day in range(1, 6)}
PARIS = "Europe/Paris"


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "minutes", "schedule", "time_zone", "holidays", "due"),
    [
        pytest.param(
            utc(2026, 11, 28, 23, 50), 30, {}, "UTC", (), utc(2026, 11, 29, 0, 20),
            id="without_a_schedule_wall_clock_minutes",
        ),
        pytest.param(
            # Wednesday 11:00 in Paris
            utc(2026, 11, 25, 10, 0), 60, NINE_TO_FIVE, PARIS, (), utc(2026, 11, 25, 11, 0),
            id="minutes_inside_the_working_day_count_directly",
        ),
        pytest.param(
            # Friday 19:00 in Paris -> Monday 09:30 Paris (CET, UTC+1) = 08:30 UTC
            utc(2026, 11, 27, 18, 0), 30, NINE_TO_FIVE, PARIS, (), utc(2026, 11, 30, 8, 30),
            id="friday_evening_is_due_monday_morning",
        ),
        pytest.param(
            # Wednesday 16:30 Paris: 30 minutes today, 30 tomorrow from 09:00 (08:00 UTC)
            utc(2026, 11, 25, 15, 30), 60, NINE_TO_FIVE, PARIS, (), utc(2026, 11, 26, 8, 30),
            id="minutes_left_at_closing_carry_over_to_the_next_working_day",
        ),
        pytest.param(
            # Thursday 16:30 Paris: 30 minutes on the 24th, the 25th is a holiday, the
            # weekend, then Monday 28th
            utc(2026, 12, 24, 15, 30), 60, NINE_TO_FIVE, PARIS, (date(2026, 12, 25),),
            utc(2026, 12, 28, 8, 30),
            id="holidays_are_skipped",
        ),
        pytest.param(
            # Paris goes from UTC+1 to UTC+2 on Sunday 29 March 2026. Friday 16:30 CET:
            # 30 minutes on Friday, 30 on Monday from 09:00 CEST = 07:00 UTC
            utc(2026, 3, 27, 15, 30), 60, NINE_TO_FIVE, PARIS, (), utc(2026, 3, 30, 7, 30),
            id="spring_forward_moves_the_opening_hour_in_utc",
        ),
        pytest.param(
            # New York goes from UTC-4 to UTC-5 on Sunday 1 November 2026; Friday 16:30 EDT
            utc(2026, 10, 30, 20, 30), 60, NINE_TO_FIVE, "America/New_York", (),
            utc(2026, 11, 2, 14, 30),
            id="fall_back_moves_the_opening_hour_in_utc",
        ),
        pytest.param(
            # 00:00-06:00 local on the Sunday Paris springs forward holds 5 real hours:
            # from Sunday 00:00 CET to 06:00 CEST
            utc(2026, 3, 28, 23, 0), 300, {7: ((time(0), time(6)),)}, PARIS, (),
            utc(2026, 3, 29, 4, 0),
            id="a_night_shift_spanning_the_dst_night_counts_real_minutes",
        ),
    ],
)  # fmt: skip
def test_the_business_deadline(
    start: datetime,
    minutes: int,
    schedule: dict[int, tuple[tuple[time, time], ...]],
    time_zone: str,
    holidays: tuple[date, ...],
    due: datetime,
) -> None:
    assert business_deadline(start, minutes, schedule, time_zone, set(holidays)) == due


def test_a_schedule_without_working_time_has_no_deadline() -> None:
    start = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="no time"):
        business_deadline(start, 10, {1: ()}, PARIS)


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        business_deadline(datetime(2026, 11, 25, 10, 0), 10, NINE_TO_FIVE, PARIS)


def test_a_grade_target_overrides_the_campaign_target() -> None:
    sla = {"accept_within_minutes": 60, "by_grade": {"A": {"accept_within_minutes": 15}}}
    assert target_minutes(sla, "A", "accept_within_minutes") == 15
    assert target_minutes(sla, "B", "accept_within_minutes") == 60
    assert target_minutes(sla, "B", "first_touch_within_minutes") is None


def test_the_next_deadline_is_accepting_while_new_then_the_first_touch() -> None:
    accept = datetime(2026, 11, 30, 9, 5, tzinfo=UTC)
    touch = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert next_deadline("new", accept, touch) == ("accept", accept)
    assert next_deadline("new", None, touch) == ("first_touch", touch)
    assert next_deadline("accepted", accept, touch) == ("first_touch", touch)
    assert next_deadline("new", touch + timedelta(hours=1), touch) == ("first_touch", touch)
    assert next_deadline("contacted", accept, touch) is None
    assert next_deadline("new", None, None) is None


def test_a_breach_says_which_deadline_was_missed() -> None:
    assert missed_target("sla_accept missed") == "accept"
    assert missed_target("sla_first_touch missed") == "first_touch"
    assert missed_target("rejected: wrong territory") is None
    assert missed_target(None) is None


def test_an_assignment_gets_both_deadlines_in_its_salespersons_hours() -> None:
    person = Person(id=uuid.uuid4(), name="Ana", time_zone=PARIS, working_hours=NINE_TO_FIVE)
    start = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)  # Friday 19:00 in Paris
    sla = {"accept_within_minutes": 30, "by_grade": {"A": {"first_touch_within_minutes": 60}}}
    deadlines = assignment_deadlines(sla, "A", person, start)
    assert deadlines.accept_due_at == datetime(2026, 11, 30, 8, 30, tzinfo=UTC)
    assert deadlines.touch_due_at == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert assignment_deadlines(sla, "C", person, start).touch_due_at is None
    assert assignment_deadlines(None, "A", person, start) == Deadlines()


def test_a_schedule_without_working_time_leaves_the_target_unset_and_says_so() -> None:
    nobody = Person(id=uuid.uuid4(), name="Nobody", working_hours={1: ()})
    deadlines = assignment_deadlines(
        {"first_touch_within_minutes": 10}, "B", nobody, datetime(2026, 11, 25, tzinfo=UTC)
    )
    assert deadlines == Deadlines(unreachable=("first_touch",))
