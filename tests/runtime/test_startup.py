import gc
from collections.abc import Iterator

import pytest

from leadrouter_runtime.startup import collector_paused


@pytest.fixture
def collector_restored() -> Iterator[None]:
    yield
    gc.enable()  # whatever the test did (what it froze stays frozen, as collection's)


@pytest.mark.usefixtures("collector_restored")
def test_the_collector_is_off_while_a_service_starts_and_what_it_built_is_frozen() -> None:
    frozen_before = gc.get_freeze_count()
    with collector_paused():
        assert not gc.isenabled()
        # Objects the collector tracks: a dict of only strings and numbers is not.
        built = [{"route": [n]} for n in range(1_000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen_before + len(built)


@pytest.mark.usefixtures("collector_restored")
def test_the_collector_runs_again_when_a_start_fails() -> None:
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("no such setting")
    assert gc.isenabled()
