"""Routing decisions: pure functions of the lead, the candidates and the state of the rotation.

This first engine is a round robin over the active salespeople; rules, pools,
availability and capacity come with the router issue, behind the same call.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Candidate:
    id: uuid.UUID
    name: str


@dataclass(frozen=True, slots=True)
class Decision:
    salesperson_id: uuid.UUID
    reason: str


def round_robin(
    candidates: Sequence[Candidate], last_assigned: uuid.UUID | None
) -> Decision | None:
    """The candidate after ``last_assigned`` in the given order (wrapping), or the
    first one when the rotation has not started or its last member left."""
    if not candidates:
        return None
    ids = [c.id for c in candidates]
    position = (ids.index(last_assigned) + 1) % len(ids) if last_assigned in ids else 0
    chosen = candidates[position]
    return Decision(
        salesperson_id=chosen.id,
        reason=f"round robin: {chosen.name} is next of {len(candidates)} active salespeople",
    )
