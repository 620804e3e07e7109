"""The trivial rotation, kept as the engine benchmark's baseline."""

import uuid

from leadrouter_router.routing.engine import Candidate, round_robin

TEAM = [Candidate(id=uuid.UUID(int=n), name=f"person {n}") for n in (1, 2, 3)]


def test_nobody_to_choose_gives_no_decision() -> None:
    assert round_robin([], None) is None


def test_the_rotation_starts_with_the_first_candidate() -> None:
    assert round_robin(TEAM, None) == TEAM[0]


def test_the_rotation_goes_on_after_the_last_assigned_and_wraps() -> None:
    chosen = []
    last = None
    for _ in range(7):
        picked = round_robin(TEAM, last)
        assert picked is not None
        last = picked.id
        chosen.append(last)
    assert chosen == [TEAM[i % 3].id for i in range(7)]


def test_a_last_assigned_who_left_restarts_the_rotation() -> None:
    assert round_robin(TEAM, uuid.UUID(int=99)) == TEAM[0]
