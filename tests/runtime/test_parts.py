"""Finding the app's parts by type: what was provided, and a clear error for what was not."""

import pytest
from fastapi import FastAPI

from leadrouter_runtime.parts import NotProvidedError, parts_of


class Jobs:
    pass


class MoreJobs(Jobs):
    pass


def test_a_part_is_found_by_its_own_class() -> None:
    app = FastAPI()
    jobs = Jobs()
    parts_of(app).provide(jobs)

    assert parts_of(app).get(Jobs) is jobs


def test_a_part_not_provided_is_a_lookup_error_naming_it() -> None:
    app = FastAPI()
    parts_of(app).provide(MoreJobs())  # a subclass does not stand in for its base

    with pytest.raises(NotProvidedError, match="Jobs"):
        parts_of(app).get(Jobs)


def test_each_app_has_its_own_parts() -> None:
    first, second = FastAPI(), FastAPI()
    parts_of(first).provide(Jobs())

    with pytest.raises(NotProvidedError):
        parts_of(second).get(Jobs)
