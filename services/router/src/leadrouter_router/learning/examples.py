"""The closed leads a fit learns from, and what it reports: plain values and checks.

Apart from :mod:`.fit` so that the use cases import them without NumPy, which is
imported only to fit or evaluate a model, not by a router starting (#15).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from leadrouter_schemas import ScoringModel

MIN_CLOSED: Final = 500
"""Closed leads a fit needs at least: below, it would fit noise."""
MIN_EACH: Final = 50
"""Won leads, and leads not won, a fit needs at least."""
HOLDOUT_SHARE: Final = 0.25
"""The newest quarter of the closed leads is kept for the evaluation."""


class NotEnoughOutcomesError(ValueError):
    """Too few closed leads (or too few of one kind) to fit anything but noise."""


@dataclass(frozen=True, slots=True)
class Example:
    """One closed lead: when it came, what it hit, its stored score, and whether it was won."""

    received_at: datetime
    hits: tuple[str, ...]
    source: str
    score: int
    won: bool


@dataclass(frozen=True, slots=True)
class Decile:
    predicted: float
    observed: float
    leads: int


@dataclass(frozen=True, slots=True)
class Metrics:
    auc: float | None
    """None when the test leads are all won or all not won."""
    brier: float
    calibration_error: float
    """Mean |predicted - observed| over the deciles, weighted by their leads."""
    lift_top_20: float | None
    """Win rate of the top 20% by score over the win rate of all."""
    deciles: tuple[Decile, ...]


@dataclass(frozen=True, slots=True)
class Evaluation:
    trained_on: int
    tested_on: int
    holdout_from: datetime
    """Leads received from this instant on were kept for the test."""
    win_rate: float
    current: Metrics
    candidate: Metrics


@dataclass(frozen=True, slots=True)
class Fitted:
    model: ScoringModel
    calibration: tuple[float, ...]
    """Probability of winning for each score 0-100."""
    evaluation: Evaluation


def check_enough(examples: Sequence[Example]) -> None:
    won = sum(e.won for e in examples)
    if len(examples) < MIN_CLOSED or won < MIN_EACH or len(examples) - won < MIN_EACH:
        raise NotEnoughOutcomesError(
            f"{len(examples)} closed leads ({won} won): a fit needs at least {MIN_CLOSED}"
            f" closed leads with {MIN_EACH} won and {MIN_EACH} not won; with fewer it would"
            " fit noise"
        )


def split(examples: Sequence[Example]) -> tuple[list[Example], list[Example]]:
    """Older leads to train on, newer ones to test on (time-ordered hold-out)."""
    ordered = sorted(examples, key=lambda e: e.received_at)
    cut = len(ordered) - max(1, round(len(ordered) * HOLDOUT_SHARE))
    return ordered[:cut], ordered[cut:]
