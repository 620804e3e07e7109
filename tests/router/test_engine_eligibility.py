"""Who may take a lead: status, own working hours in own time zone (DST edges included),
holidays, out of office, language, product skill, seniority."""

from datetime import UTC, date, datetime

import pytest

from leadrouter_router.routing.availability import unavailability, within_working_hours
from leadrouter_router.routing.engine import decide
from tests.router.engine_values import NOW, context, hours, lead, person, pid, policy

MADRID = person(1, time_zone="Europe/Madrid", working_hours=hours("09:00-17:00"))
NEW_YORK = person(2, time_zone="America/New_York", working_hours=hours("09:00-17:00", "12345"))


def excluded(candidate_person: object, **lead_changes: object) -> list[str]:
    ctx = context(candidate_person)  # type: ignore[arg-type]
    decision = decide(lead(**lead_changes), ctx, policy(seniority_by_grade={"A": 3}), NOW)
    return decision.record.pools[0].candidates[0].exclusions()


@pytest.mark.parametrize(
    ("instant", "working"),
    [
        # Last Sunday of March 2026: Madrid goes from UTC+1 to UTC+2 at 01:00 UTC.
        (datetime(2026, 3, 28, 7, 30, tzinfo=UTC), False),  # 08:30 CET
        (datetime(2026, 3, 29, 7, 30, tzinfo=UTC), True),  # 09:30 CEST
        (datetime(2026, 3, 29, 15, 30, tzinfo=UTC), False),  # 17:30 CEST
        # Last Sunday of October 2026: back to UTC+1 at 01:00 UTC.
        (datetime(2026, 10, 24, 7, 30, tzinfo=UTC), True),  # 09:30 CEST
        (datetime(2026, 10, 25, 7, 30, tzinfo=UTC), False),  # 08:30 CET
        (datetime(2026, 10, 25, 15, 30, tzinfo=UTC), True),  # 16:30 CET
    ],
)
def test_madrid_hours_follow_daylight_saving(instant: datetime, working: bool) -> None:
    assert within_working_hours(MADRID, instant) is working


@pytest.mark.parametrize(
    ("instant", "working"),
    [
        (datetime(2026, 3, 6, 13, 30, tzinfo=UTC), False),  # Friday 08:30 EST
        (datetime(2026, 3, 9, 13, 30, tzinfo=UTC), True),  # Monday 09:30 EDT (DST from 8 March)
        (datetime(2026, 10, 30, 20, 30, tzinfo=UTC), True),  # Friday 16:30 EDT
        (datetime(2026, 11, 2, 13, 30, tzinfo=UTC), False),  # Monday 08:30 EST (from 1 November)
        (datetime(2026, 3, 7, 15, 0, tzinfo=UTC), False),  # Saturday: no hours
    ],
)
def test_new_york_hours_follow_daylight_saving(instant: datetime, working: bool) -> None:
    assert within_working_hours(NEW_YORK, instant) is working


def test_outside_working_hours_is_an_exclusion_unless_the_policy_allows_after_hours() -> None:
    night = datetime(2026, 11, 25, 23, 0, tzinfo=UTC)
    ctx = context(MADRID)
    assert decide(lead(), ctx, policy(), night).outcome == "unassigned"
    at_night = decide(lead(), ctx, policy(), night).record.pools[0].candidates[0]
    assert at_night.exclusions() == ["outside_working_hours"]
    assert decide(lead(), ctx, policy(allow_after_hours=True), night).salesperson_id == MADRID.id
    per_rule = policy({"name": "night", "pool": "sales", "allow_after_hours": True})
    assert decide(lead(), ctx, per_rule, night).salesperson_id == MADRID.id


def test_a_holiday_is_a_date_in_the_salespersons_own_time_zone() -> None:
    tokyo = person(3, time_zone="Asia/Tokyo", holidays=frozenset({date(2026, 11, 26)}))
    # 16:00 UTC on the 25th is already the 26th in Tokyo.
    assert unavailability(
        tokyo, datetime(2026, 11, 25, 16, 0, tzinfo=UTC), after_hours_ok=True
    ) == ("holiday",)
    assert (
        unavailability(tokyo, datetime(2026, 11, 25, 14, 0, tzinfo=UTC), after_hours_ok=True) == ()
    )


def test_out_of_office_covers_its_period_only() -> None:
    away = person(4, out_of_office=((NOW.replace(hour=8), NOW.replace(hour=12)),))
    assert unavailability(away, NOW, after_hours_ok=False) == ("out_of_office",)
    assert unavailability(away, NOW.replace(hour=12), after_hours_ok=False) == ()


@pytest.mark.parametrize("status", ["paused", "left"])
def test_paused_or_gone_is_inactive(status: str) -> None:
    assert excluded(person(5, status=status)) == ["inactive"]


def test_the_leads_language_is_needed() -> None:
    assert excluded(person(6, languages=frozenset({"en"})), language="es") == ["missing_language"]
    assert excluded(person(6, languages=frozenset({"en", "es"})), language="es") == []


def test_the_leads_product_skill_is_needed() -> None:
    assert excluded(person(7, skills=frozenset({"crm"})), product="erp") == ["missing_skill"]
    assert excluded(person(7, skills=frozenset({"erp"})), product="erp") == []


def test_a_grade_can_need_seniority() -> None:
    assert excluded(person(8, seniority=2), grade="A") == ["not_senior_enough"]
    assert excluded(person(8, seniority=3), grade="A") == []
    assert excluded(person(8, seniority=1), grade="B") == []


def test_whoever_already_had_the_lead_is_not_given_it_again() -> None:
    assert excluded(person(9), previous_owners=frozenset({pid(9)})) == ["already_had_lead"]


def test_every_reason_is_listed_not_only_the_first() -> None:
    tired = person(10, status="paused", languages=frozenset({"de"}), max_open=1)
    ctx = context(tired)
    ctx.load.open_leads[str(tired.id)] = 1
    decision = decide(lead(language="fr"), ctx, policy(), NOW)
    assert decision.record.pools[0].candidates[0].exclusions() == [
        "inactive",
        "missing_language",
        "open_capacity_reached",
    ]
