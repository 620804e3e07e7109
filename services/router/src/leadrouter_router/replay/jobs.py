"""Replay jobs of the API: run in the background, one at a time, kept in memory (a
replay writes nothing, so losing one on restart loses nothing but its wait)."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import structlog
from cachetools import FIFOCache

from leadrouter_router.errors import Conflict
from leadrouter_router.replay.service import ReplayResult

log = structlog.get_logger(__name__)

KEPT = 10
Run = Callable[["ReplayJob"], Awaitable[ReplayResult]]


class ReplayRunning(Conflict):
    title = "A replay is running already"


@dataclass(slots=True)
class ReplayJob:
    id: uuid.UUID
    started_at: datetime
    done: int = 0
    total: int | None = None
    finished_at: datetime | None = None
    result: ReplayResult | None = None
    error: str | None = None
    task: "asyncio.Task[None] | None" = field(default=None, repr=False)

    @property
    def status(self) -> Literal["running", "done", "failed"]:
        if self.error is not None:
            return "failed"
        return "done" if self.result is not None else "running"

    def progress(self, done: int, total: int) -> None:
        self.done, self.total = done, total


class ReplayJobs:
    def __init__(self) -> None:
        self._jobs: FIFOCache[uuid.UUID, ReplayJob] = FIFOCache(maxsize=KEPT)  # the oldest go

    def get(self, job_id: uuid.UUID) -> ReplayJob | None:
        return self._jobs.get(job_id)

    def start(self, run: Run) -> ReplayJob:
        if any(job.status == "running" for job in self._jobs.values()):
            raise ReplayRunning("Wait for it to finish (GET /v1/replays/{id}).")
        job = ReplayJob(id=uuid.uuid4(), started_at=datetime.now(UTC))
        job.task = asyncio.create_task(self._run(job, run), name=f"replay-{job.id}")
        self._jobs[job.id] = job
        return job

    async def _run(self, job: ReplayJob, run: Run) -> None:
        try:
            job.result = await run(job)
        except asyncio.CancelledError:
            job.error = "cancelled (the router stopped)"
            raise
        except Exception as error:  # a failed job is reported on the job, not lost
            log.exception("replay.failed", job_id=str(job.id))
            job.error = f"{type(error).__name__}: {error}"[:500]
        finally:
            job.finished_at = datetime.now(UTC)

    async def close(self) -> None:
        tasks = [job.task for job in self._jobs.values() if job.task and not job.task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
