"""Demo histories (``leadrouter demo history``'s generative model) for the pure tests
that read them: the model's own (tests/cli/test_history.py) and the fit's
(tests/router/learning/test_fit.py). Generating 20,000 stories takes seconds, so the
large one is generated once per run and shared."""

import gc
import uuid
from datetime import UTC, datetime
from functools import cache

from leadrouter_cli.history.model import Seller, Story, generate
from leadrouter_cli.history.store import HISTORY_CAMPAIGNS

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SELLERS = [
    Seller(uuid.UUID(int=n + 1), accept, touch)
    for n, (accept, touch) in enumerate(((2.0, 4.0), (12.0, 40.0), (40.0, 200.0), (90.0, 600.0)))
]


def stories(leads: int, seed: int) -> list[Story]:
    return generate(
        leads=leads, days=90, seed=seed, now=NOW, campaigns=HISTORY_CAMPAIGNS, sellers=SELLERS
    )


@cache
def large_history() -> tuple[Story, ...]:
    """20,000 leads over 90 days (seed 21): enough closed leads per campaign that a fit
    recovers the planted model within its hold-out's noise.

    Its half a million objects live until the end of the run: the garbage collector,
    whose every full collection would walk them again (as long, in all, as generating
    them), is paused while they are made and then leaves them be (``gc.freeze``)."""
    gc.collect()  # the garbage of the tests before: collected (and reported), not frozen
    enabled = gc.isenabled()
    gc.disable()
    try:
        history = tuple(stories(20000, 21))
    finally:
        if enabled:
            gc.enable()
    gc.freeze()
    return history
