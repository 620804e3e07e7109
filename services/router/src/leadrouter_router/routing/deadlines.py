"""Service-level deadlines counted in a salesperson's business hours (pure).

Working hours are local wall-clock intervals in the salesperson's IANA time zone
(``zoneinfo``), so a deadline follows daylight-saving changes; the minutes counted
are elapsed minutes inside those intervals, holidays (local dates) skipped.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from leadrouter_router.routing.facts import Interval, Person

_SEARCH_DAYS = 800  # a schedule with no working minute in two years has no deadline


def business_deadline(
    start: datetime,
    minutes: int,
    hours: Mapping[int, Sequence[Interval]],
    tz: str,
    holidays: Collection[date] = frozenset(),
) -> datetime:
    """The instant (UTC) when ``minutes`` business minutes have passed since ``start``.

    ``hours``: ISO weekday (1 = Monday) -> local intervals; empty means always working.
    """
    if start.tzinfo is None:
        raise ValueError("start must be an aware datetime")
    remaining = timedelta(minutes=minutes)
    if not hours:
        return (start + remaining).astimezone(UTC)
    zone = ZoneInfo(tz)
    cursor = start.astimezone(UTC)
    day = start.astimezone(zone).date()
    for _ in range(_SEARCH_DAYS):
        if day not in holidays:
            for opens, closes in sorted(hours.get(day.isoweekday(), ())):
                begin = _instant(day, opens, zone)
                end = (
                    _instant(day, closes, zone) if closes != time(0) else _midnight_after(day, zone)
                )
                begin = max(begin, cursor)
                if begin >= end:
                    continue
                if remaining <= end - begin:
                    return begin + remaining
                remaining -= end - begin
                cursor = end
        day += timedelta(days=1)
    raise ValueError("the working hours leave no time to count the deadline in")


def _instant(day: date, moment: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)


def _midnight_after(day: date, zone: ZoneInfo) -> datetime:
    return _instant(day + timedelta(days=1), time(0), zone)


def target_minutes(sla: Mapping[str, Any], grade: str, field: str) -> int | None:
    """The campaign's target for ``field`` (``accept_within_minutes`` or
    ``first_touch_within_minutes``): the grade's own if it has one, else the campaign's."""
    by_grade = sla.get("by_grade") or {}
    own = (by_grade.get(grade) or {}).get(field)
    value = own if own is not None else sla.get(field)
    return int(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class Deadlines:
    """An assignment's service-level deadlines; None: no target, or no working time
    to count it in (``unreachable`` names those targets)."""

    accept_due_at: datetime | None = None
    touch_due_at: datetime | None = None
    unreachable: tuple[str, ...] = ()


def assignment_deadlines(
    sla: Mapping[str, Any] | None, grade: str, person: Person, assigned_at: datetime
) -> Deadlines:
    """The deadlines an assignment gets when it is made: the campaign's targets for the
    lead's grade, counted from ``assigned_at`` in the salesperson's business hours."""
    due: dict[str, datetime | None] = {"accept": None, "first_touch": None}
    unreachable = []
    for target in due:
        minutes = target_minutes(sla or {}, grade, f"{target}_within_minutes")
        if minutes is None:
            continue
        try:
            due[target] = business_deadline(
                assigned_at, minutes, person.working_hours, person.time_zone, person.holidays
            )
        except ValueError:
            unreachable.append(target)
    return Deadlines(due["accept"], due["first_touch"], tuple(unreachable))


def next_deadline(
    stage: str, accept_due_at: datetime | None, touch_due_at: datetime | None
) -> tuple[str, datetime] | None:
    """The deadline an open assignment has to meet next, as ``(target, due)``: the
    earlier of accepting (while still ``new``) and the first touch; None if unarmed."""
    open_deadlines = [
        (target, due)
        for target, due in (
            ("accept", accept_due_at if stage == "new" else None),
            ("first_touch", touch_due_at if stage in ("new", "accepted") else None),
        )
        if due is not None
    ]
    return min(open_deadlines, key=lambda pair: pair[1]) if open_deadlines else None
