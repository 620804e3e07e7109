"""The life of an assigned lead on the salesperson's side, as a pure function:
``advance(stage, event) -> Transition`` or :class:`OutOfOrder` naming the stage.

Stages belong to one assignment (a re-assigned lead starts again at ``new`` with its
next salesperson)::

    new --accept--> accepted --activity--> contacted --activity--> contacted
    new|accepted --reject--> rejected          (the lead is re-routed)
    accepted|contacted --outcome--> won | lost | bought_elsewhere | unreachable
    new|accepted --SLA breach--> breached      (the lead is re-routed)

``rejected``, ``breached`` and the four outcomes are final for the assignment.
"""

from dataclasses import dataclass
from typing import Literal

Stage = Literal[
    "new",
    "accepted",
    "contacted",
    "rejected",
    "breached",
    "won",
    "lost",
    "bought_elsewhere",
    "unreachable",
]
Action = Literal["accept", "reject", "activity", "outcome", "breach"]
FinalOutcome = Literal["won", "lost", "bought_elsewhere", "unreachable"]

OUTCOMES: frozenset[str] = frozenset({"won", "lost", "bought_elsewhere", "unreachable"})
FINAL: frozenset[str] = OUTCOMES | {"rejected", "breached"}
OPEN: frozenset[str] = frozenset({"new", "accepted", "contacted"})


@dataclass(frozen=True, slots=True)
class Transition:
    stage: Stage
    first_touch: bool = False
    """The activity is the first touch of this assignment."""
    reroute: bool = False
    """The lead leaves this salesperson and is routed again."""
    closes_lead: bool = False
    """A final outcome: the lead is closed."""


class OutOfOrder(Exception):  # noqa: N818  (a domain outcome, named as the API names it)
    """The event does not fit the stage; ``stage`` is the one the lead is in."""

    def __init__(self, stage: str, action: str, detail: str) -> None:
        super().__init__(detail)
        self.stage = stage
        self.action = action
        self.detail = detail


_EXPECTED: dict[str, str] = {
    "new": "accept or reject",
    "accepted": "activity, an outcome or reject",
    "contacted": "more activity or an outcome",
}


def advance(stage: str, action: Action, outcome: FinalOutcome | None = None) -> Transition:
    """The next stage of an assignment in ``stage`` after ``action``."""
    if stage in FINAL:
        raise OutOfOrder(stage, action, f"the assignment is already final ({stage})")
    match action, stage:
        case "accept", "new":
            return Transition("accepted")
        case "reject", "new" | "accepted":
            return Transition("rejected", reroute=True)
        case "breach", "new" | "accepted":
            return Transition("breached", reroute=True)
        case "activity", "accepted":
            return Transition("contacted", first_touch=True)
        case "activity", "contacted":
            return Transition("contacted")
        case "outcome", "accepted" | "contacted" if outcome is not None:
            return Transition(outcome, closes_lead=True)
    expected = _EXPECTED.get(stage, "nothing")
    raise OutOfOrder(stage, action, f"{action} cannot follow {stage}; expected {expected}")
