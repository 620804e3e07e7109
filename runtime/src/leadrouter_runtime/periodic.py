"""One way to run a periodic job: every ``interval_s`` with jitter, woken early on
demand, each run counted and timed, a failed run logged and tried again at the next
interval, stopped between runs.

A job is ``async () -> object``; it returns :attr:`Next.NOW` when more is due already
(a full batch), anything else to wait for the interval or a :meth:`PeriodicTask.wake`.
The tasks of a service run under one :class:`asyncio.TaskGroup` owned by the app's
lifespan (:func:`running`), which stops them between runs when the app stops.
"""

import asyncio
import enum
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Protocol

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram

from leadrouter_runtime.kafka_metrics import BATCH_BUCKETS

log = structlog.get_logger(__name__)


class Next(enum.Enum):
    """What a job asks for after its run."""

    INTERVAL = "interval"  # wait for the interval or a wake-up
    NOW = "now"  # more is due already: run again at once


Job = Callable[[], Awaitable[object]]


class PeriodicMetrics:
    """``<prefix>_periodic_runs_total``, ``..._failures_total`` and ``..._run_seconds``,
    labelled by task name (a fixed set: one per worker)."""

    def __init__(self, registry: CollectorRegistry, prefix: str) -> None:
        self.runs = Counter(
            f"{prefix}_periodic_runs",
            "Runs of a periodic task, failed ones included.",
            ["task"],
            registry=registry,
        )
        self.failures = Counter(
            f"{prefix}_periodic_failures",
            "Runs of a periodic task that raised or timed out (tried again at the next interval).",
            ["task"],
            registry=registry,
        )
        self.duration = Histogram(
            f"{prefix}_periodic_run_seconds",
            "Time of one run of a periodic task.",
            ["task"],
            buckets=BATCH_BUCKETS,
            registry=registry,
        )


class PeriodicTask:
    """Runs ``job`` every ``interval_s`` (± ``jitter`` of it), at once when woken.

    A run that raises is logged and counted and never ends the task; a run longer
    than ``timeout_s`` is cut off and counted as failed. ``wait_first`` waits an
    interval before the first run (a quiet start-up for slow timers).
    """

    def __init__(
        self,
        name: str,
        job: Job,
        *,
        interval_s: float,
        jitter: float = 0.1,
        wait_first: bool = False,
        timeout_s: float | None = None,
        metrics: PeriodicMetrics | None = None,
        log_context: Mapping[str, object] | None = None,
        uniform: Callable[[float, float], float] = random.uniform,
    ) -> None:
        if not 0 <= jitter < 1:
            raise ValueError(f"jitter is a fraction of the interval in [0, 1), not {jitter}")
        self.name = name
        self._job = job
        self._interval_s = interval_s
        self._jitter = jitter
        self._wait_first = wait_first
        self._timeout_s = timeout_s
        self._metrics = metrics
        self._log = log.bind(task=name, **(log_context or {}))
        self._uniform = uniform
        self._wakeup = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        """Run now rather than at the end of the interval (a run under way is followed
        by another at once)."""
        self._wakeup.set()

    def stop(self) -> None:
        """Ask :meth:`run` to return: at once if waiting, after the run under way if not."""
        self._stopping = True
        self._wakeup.set()

    @property
    def stopping(self) -> bool:
        return self._stopping

    def delay_s(self) -> float:
        """The next wait: the interval, spread by the jitter so replicas drift apart."""
        spread = self._interval_s * self._jitter
        return self._interval_s + self._uniform(-spread, spread)

    async def run(self) -> None:
        """Run until :meth:`stop`."""
        if self._wait_first:
            await self._pause()
        while not self._stopping:
            self._wakeup.clear()  # a wake-up during the run asks for the next one
            if await self.run_once() is not Next.NOW:
                await self._pause()

    async def run_once(self) -> object:
        """One run, counted and timed; a failure is logged and answers None."""
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout_s):
                return await self._job()
        except Exception:
            if self._metrics is not None:
                self._metrics.failures.labels(task=self.name).inc()
            self._log.exception("periodic.failed")
            return None
        finally:
            if self._metrics is not None:
                self._metrics.runs.labels(task=self.name).inc()
                self._metrics.duration.labels(task=self.name).observe(time.perf_counter() - started)

    async def _pause(self) -> None:
        if self._stopping:
            return
        try:
            async with asyncio.timeout(self.delay_s()):
                await self._wakeup.wait()
        except TimeoutError:
            pass


class Worker(Protocol):
    """What :func:`running` runs: a :class:`PeriodicTask`, or a worker built on one
    (the outbox relay) that stops the same way."""

    @property
    def name(self) -> str: ...

    async def run(self) -> None: ...

    def stop(self) -> None: ...


@asynccontextmanager
async def running(tasks: Iterable[Worker], *, grace_s: float = 10.0) -> AsyncIterator[None]:
    """Run ``tasks`` under one task group while the body runs; on the way out stop
    them, wait up to ``grace_s`` for the runs under way, then cancel what is left."""
    every = list(tasks)
    async with asyncio.TaskGroup() as group:
        runners = [group.create_task(task.run(), name=f"periodic:{task.name}") for task in every]
        try:
            yield
        finally:
            for task in every:
                task.stop()
            if runners:
                _, late = await asyncio.wait(runners, timeout=grace_s)
                for runner in late:
                    log.warning("periodic.stop_timed_out", task=runner.get_name(), grace_s=grace_s)
                    runner.cancel()
