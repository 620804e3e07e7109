"""The periodic-task helper every worker runs on: runs, wake-ups, failures, metrics and
the graceful stop, driven by events (the intervals are an hour: nothing waits for one)."""

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager

import pytest
from prometheus_client import CollectorRegistry
from structlog.testing import capture_logs

from leadrouter_runtime.periodic import Next, PeriodicMetrics, PeriodicTask, running

HOUR = 3600.0


class Runs:
    """A job that counts its runs and lets the test see each one happen."""

    def __init__(self, outcomes: list[object] | None = None) -> None:
        self.count = 0
        self._outcomes = outcomes or []
        self._changed = asyncio.Condition()
        self.release: asyncio.Event | None = None  # when set, each run waits for it
        self.entered = asyncio.Event()

    async def __call__(self) -> object:
        self.entered.set()
        if self.release is not None:
            await self.release.wait()
        async with self._changed:
            self.count += 1
            self._changed.notify_all()
        outcome = self._outcomes.pop(0) if self._outcomes else None
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def reach(self, count: int) -> None:
        async with asyncio.timeout(5), self._changed:
            await self._changed.wait_for(lambda: self.count >= count)


@asynccontextmanager
async def started(task: PeriodicTask) -> AsyncIterator[asyncio.Task[None]]:
    runner = asyncio.create_task(task.run())
    try:
        yield runner
    finally:
        task.stop()
        async with asyncio.timeout(5):
            await runner


def sample(registry: CollectorRegistry, name: str, task: str) -> float | None:
    return registry.get_sample_value(name, {"task": task})


async def test_runs_at_once_then_again_when_woken() -> None:
    job = Runs()
    task = PeriodicTask("sample", job, interval_s=HOUR)
    async with started(task):
        await job.reach(1)
        task.wake()
        await job.reach(2)
        assert job.count == 2


async def test_waits_an_interval_first_when_asked() -> None:
    job = Runs()
    task = PeriodicTask("sla", job, interval_s=HOUR, wait_first=True)
    async with started(task) as runner:
        # One turn of the loop runs the runner up to its first wait: without wait_first
        # the job would have been entered by then (scheduling, not timing).
        await asyncio.sleep(0)
        assert not job.entered.is_set()
        assert not runner.done()
        task.wake()
        await job.reach(1)


async def test_runs_again_at_once_while_the_job_says_more_is_due() -> None:
    job = Runs([Next.NOW, Next.NOW, Next.INTERVAL])
    task = PeriodicTask("relay", job, interval_s=HOUR)
    async with started(task):
        await job.reach(3)
    assert job.count == 3


async def test_a_wake_up_during_a_run_asks_for_another_run() -> None:
    job = Runs()
    job.release = asyncio.Event()
    task = PeriodicTask("recheck", job, interval_s=HOUR)
    async with started(task):
        await _within(job.entered.wait())
        task.wake()
        job.release.set()
        await job.reach(2)


async def test_a_failed_run_is_logged_counted_and_the_task_goes_on() -> None:
    registry = CollectorRegistry()
    job = Runs([RuntimeError("database gone"), None])
    task = PeriodicTask(
        "sla",
        job,
        interval_s=HOUR,
        metrics=PeriodicMetrics(registry, "svc"),
        log_context={"group_id": "g"},
    )
    with capture_logs() as logs:
        async with started(task) as runner:
            await job.reach(1)
            task.wake()
            await job.reach(2)
            assert not runner.done()
    failed = [e for e in logs if e["event"] == "periodic.failed"]
    assert len(failed) == 1
    assert failed[0]["task"] == "sla"
    assert failed[0]["group_id"] == "g"
    assert failed[0]["log_level"] == "error"
    assert sample(registry, "svc_periodic_failures_total", "sla") == 1
    assert sample(registry, "svc_periodic_runs_total", "sla") == 2
    assert sample(registry, "svc_periodic_run_seconds_count", "sla") == 2


async def test_a_run_over_its_timeout_is_cut_off_and_counted_as_failed() -> None:
    registry = CollectorRegistry()
    hung = asyncio.Event()

    async def hangs() -> None:
        hung.set()
        await asyncio.Event().wait()

    task = PeriodicTask(
        "lag", hangs, interval_s=HOUR, timeout_s=0.01, metrics=PeriodicMetrics(registry, "svc")
    )
    with capture_logs():
        result = await task.run_once()
    assert hung.is_set()
    assert result is None
    assert sample(registry, "svc_periodic_failures_total", "lag") == 1


async def test_stop_lets_the_run_under_way_finish() -> None:
    job = Runs()
    job.release = asyncio.Event()
    task = PeriodicTask("recheck", job, interval_s=HOUR)
    runner = asyncio.create_task(task.run())
    await _within(job.entered.wait())
    task.stop()
    assert not runner.done()
    job.release.set()
    async with asyncio.timeout(5):
        await runner
    assert job.count == 1


async def test_the_group_stops_every_task_when_the_app_stops() -> None:
    first, second = Runs(), Runs()
    tasks = [
        PeriodicTask("first", first, interval_s=HOUR),
        PeriodicTask("second", second, interval_s=HOUR),
    ]
    async with asyncio.timeout(5):
        async with running(tasks):
            await first.reach(1)
            await second.reach(1)
    assert all(task.stopping for task in tasks)


async def test_the_group_cancels_a_run_that_outlasts_the_grace_period() -> None:
    entered = asyncio.Event()
    cancelled = asyncio.Event()

    async def never_ends() -> None:
        entered.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with capture_logs() as logs:
        async with asyncio.timeout(5):
            async with running([PeriodicTask("stuck", never_ends, interval_s=HOUR)], grace_s=0.01):
                await entered.wait()
    assert cancelled.is_set()
    assert [e["task"] for e in logs if e["event"] == "periodic.stop_timed_out"] == [
        "periodic:stuck"
    ]


@pytest.mark.parametrize(("drawn", "expected"), [(-1.0, 90.0), (0.0, 100.0), (1.0, 110.0)])
def test_the_delay_spreads_the_interval_by_the_jitter(drawn: float, expected: float) -> None:
    def uniform(low: float, high: float) -> float:
        return {-1.0: low, 0.0: (low + high) / 2, 1.0: high}[drawn]

    task = PeriodicTask("t", _nothing, interval_s=100, jitter=0.1, uniform=uniform)
    assert task.delay_s() == pytest.approx(expected)


def test_a_jitter_of_the_whole_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="jitter"):
        PeriodicTask("t", _nothing, interval_s=1, jitter=1.0)


async def _nothing() -> None:
    return None


async def _within(waiting: Awaitable[object]) -> None:
    async with asyncio.timeout(5):
        await waiting
