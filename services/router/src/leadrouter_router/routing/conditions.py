"""Rule conditions over a lead's fields."""

from collections.abc import Sequence
from typing import Any

from leadrouter_router.policies.policy import Condition
from leadrouter_router.routing.facts import LeadFacts, Territory


def territories_of(lead: LeadFacts, territories: Sequence[Territory]) -> tuple[str, ...]:
    """Every territory the lead falls in: by postal-code prefix, region or country."""
    found = []
    for territory in territories:
        if (
            (lead.country is not None and lead.country in territory.countries)
            or (lead.region is not None and lead.region in territory.regions)
            or (
                lead.postal_code is not None
                and any(lead.postal_code.startswith(p) for p in territory.postal_prefixes)
            )
        ):
            found.append(territory.name)
    return tuple(found)


def field_value(lead: LeadFacts, name: str, territories: tuple[str, ...]) -> Any:
    if name == "territory":
        return territories
    if name.startswith("answers."):
        return lead.answers.get(name.removeprefix("answers."))
    return getattr(lead, name)


def _compare(op: str, actual: Any, expected: Any) -> bool:
    if op == "exists":
        present = actual is not None and actual != ()
        return present if expected in (None, True) else not present
    if actual is None:
        return op in ("ne", "not_in")
    if op == "eq":
        return bool(actual == expected)
    if op == "ne":
        return bool(actual != expected)
    if op == "in":
        return actual in expected
    if op == "not_in":
        return actual not in expected
    if op == "prefix":
        return str(actual).startswith(str(expected))
    try:
        if op == "gt":
            return bool(actual > expected)
        if op == "gte":
            return bool(actual >= expected)
        if op == "lt":
            return bool(actual < expected)
        if op == "lte":
            return bool(actual <= expected)
    except TypeError:
        return False
    raise ValueError(f"unknown operator {op!r}")


def holds(condition: Condition, lead: LeadFacts, territories: tuple[str, ...]) -> tuple[bool, Any]:
    """Whether ``condition`` holds for the lead, and the value it saw."""
    actual = field_value(lead, condition.field, territories)
    if condition.field == "territory" and condition.op != "exists":
        # A lead can lie in several territories: the condition holds if any one does.
        if condition.op in ("ne", "not_in"):
            matched = all(_compare(condition.op, t, condition.value) for t in actual)
        else:
            matched = any(_compare(condition.op, t, condition.value) for t in actual)
        return matched, list(actual)
    return _compare(condition.op, actual, condition.value), actual
