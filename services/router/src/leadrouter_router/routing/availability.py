"""Is a salesperson available at an instant? Status, own working hours in own time zone
(``zoneinfo``, so daylight-saving changes follow the IANA database), holidays, out of office."""

from datetime import datetime
from zoneinfo import ZoneInfo

from leadrouter_router.routing.facts import Person

INACTIVE = "inactive"
HOLIDAY = "holiday"
OUT_OF_OFFICE = "out_of_office"
OUTSIDE_WORKING_HOURS = "outside_working_hours"


def within_working_hours(person: Person, now: datetime) -> bool:
    if not person.working_hours:
        return True
    local = now.astimezone(ZoneInfo(person.time_zone))
    moment = local.time().replace(tzinfo=None)
    return any(
        start <= moment < end for start, end in person.working_hours.get(local.isoweekday(), ())
    )


def unavailability(person: Person, now: datetime, *, after_hours_ok: bool) -> tuple[str, ...]:
    """Why ``person`` cannot take a lead at ``now`` (empty: available)."""
    reasons: list[str] = []
    if person.status != "active":
        reasons.append(INACTIVE)
    local_day = now.astimezone(ZoneInfo(person.time_zone)).date()
    if local_day in person.holidays:
        reasons.append(HOLIDAY)
    if any(start <= now < end for start, end in person.out_of_office):
        reasons.append(OUT_OF_OFFICE)
    if not after_hours_ok and not within_working_hours(person, now):
        reasons.append(OUTSIDE_WORKING_HOURS)
    return tuple(reasons)
