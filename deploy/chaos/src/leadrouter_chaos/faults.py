"""Faults at seeded random moments, in two lanes that overlap: the processes (one
fault at a time, each waiting until the system is back) and the CRM (failing for
a while, with reject callbacks meanwhile). A third lane plays the salespeople of
the SLA campaign: they accept a lead once it was re-assigned for a missed SLA."""

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx

from leadrouter_chaos.processes import Service
from leadrouter_chaos.profiles import CRM_FAULTS, PROCESS_FAULTS, Profile
from leadrouter_chaos.system import CAMPAIGN, SLA_CAMPAIGN, System
from leadrouter_runtime.retries import paced

log = logging.getLogger("chaos.faults")

REJECTS_PER_LEAD = 2  # of six salespeople: a re-assignment always finds someone


class Unanswered(Exception):  # noqa: N818  (what happened to a callback, not our error)
    """A callback no router answered: the connection failed, or a 5xx."""


@dataclass
class FaultLog:
    counts: Counter[str] = field(default_factory=Counter)
    recovery_s: list[float] = field(default_factory=list)
    """Per process fault: from the restart to the restarted part answering again."""
    callbacks: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def on_processes(self) -> int:
        return sum(n for kind, n in self.counts.items() if kind in PROCESS_FAULTS)


# A connection opened while the cluster shuts down (restart_postgres) can fail in the
# client's protocol state rather than with a server error: "cannot switch to state 12;
# another operation (2) is in progress" (InternalClientError), or InterfaceError.
_AWAY = (asyncpg.InterfaceError, asyncpg.InternalClientError)


async def rows(dsn: str, query: str, *args: Any) -> list[asyncpg.Record]:
    """One query on a connection of its own; nothing when the database is away."""
    try:
        connection = await asyncio.wait_for(asyncpg.connect(dsn), 5)
    except (OSError, asyncpg.PostgresError, TimeoutError, *_AWAY):
        return []
    try:
        found: list[asyncpg.Record] = await asyncio.wait_for(connection.fetch(query, *args), 20)
        return found
    except (OSError, asyncpg.PostgresError, TimeoutError, *_AWAY):
        return []
    finally:
        with contextlib.suppress(Exception):
            await connection.close()


class Deck:
    """Fault kinds drawn like cards: each kind ``weight`` times a deck, shuffled, so
    that every kind comes up in every deck (a short run still has each one)."""

    def __init__(self, weights: tuple[tuple[str, int], ...], rng: random.Random) -> None:
        self._cards = [kind for kind, weight in weights for _ in range(weight)]
        self._rng = rng
        self._left: list[str] = []

    def draw(self) -> str:
        if not self._left:
            self._left = self._cards.copy()
            self._rng.shuffle(self._left)
        return self._left.pop()


@dataclass
class Chaos:
    system: System
    http: httpx.AsyncClient
    profile: Profile
    log: FaultLog = field(default_factory=FaultLog)
    _rejected: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        # One generator per lane: a lane's draws do not depend on the other's timing.
        seed = self.profile.seed
        self._process_rng = random.Random(f"{seed}-process")  # noqa: S311
        self._crm_rng = random.Random(f"{seed}-crm")  # noqa: S311
        self._process_deck = Deck(self.profile.weights, self._process_rng)
        self._crm_deck = Deck(tuple((kind, 1) for kind in CRM_FAULTS), self._crm_rng)

    async def _draws(
        self, stop: asyncio.Event, rng: random.Random, deck: Deck
    ) -> AsyncIterator[str]:
        """A lane's faults, each drawn after a pause, until ``stop``."""
        while not stop.is_set():
            await self._pause(stop, rng)
            if stop.is_set():
                return
            yield deck.draw()

    async def process_lane(self, stop: asyncio.Event) -> None:
        async for kind in self._draws(stop, self._process_rng, self._process_deck):
            log.info("fault: %s", kind)
            await self._process_fault(kind)
            self.log.counts[kind] += 1

    async def _process_fault(self, kind: str) -> None:
        system = self.system
        if kind in ("kill_scorer", "kill_router"):
            service = self._process_rng.choice(
                system.scorers if kind == "kill_scorer" else system.routers
            )
            service.kill()
            await asyncio.sleep(self._process_rng.uniform(0, 2))
            self.log.recovery_s.append(await system.restart(service, self.http))
        elif kind == "kill_broker":
            await asyncio.to_thread(system.broker.kill)
            await self._back_after_a_while(system.broker.start)
        elif kind == "restart_postgres":
            await system.postgres.stop()
            await self._back_after_a_while(system.postgres.start)
        elif kind == "rebalance":
            spare = system.spare_router
            await system.restart(spare, self.http)
            await asyncio.sleep(self._process_rng.uniform(5, 15))
            # Half the time it leaves in order, half the time it dies.
            await asyncio.to_thread(spare.kill if self._process_rng.random() < 0.5 else spare.stop)

    async def _back_after_a_while(self, start: Callable[[], Awaitable[None]]) -> None:
        """``start`` after 1 to 5 s down; how long it takes counts as the recovery."""
        await asyncio.sleep(self._process_rng.uniform(1, 5))
        began = time.monotonic()
        await start()
        self.log.recovery_s.append(time.monotonic() - began)

    async def crm_lane(self, stop: asyncio.Event) -> None:
        async for kind in self._draws(stop, self._crm_rng, self._crm_deck):
            window = self._crm_rng.uniform(*self.profile.crm_window_s)
            log.info("fault: %s for %.1fs", kind, window)
            await self.set_crm_fault(self._crm_mode(kind))
            self.log.counts[kind] += 1
            ends = time.monotonic() + window
            try:
                await self._reject_some(ends)
                await asyncio.sleep(max(0.0, ends - time.monotonic()))
            finally:
                await self.set_crm_fault({"kind": "none"})

    def _crm_mode(self, kind: str) -> dict[str, Any]:
        seed = self._crm_rng.randrange(2**31)
        if kind == "crm_error":
            return {"kind": "error", "status": self._crm_rng.choice((500, 502, 503)), "seed": seed}
        if kind == "crm_hang":
            # Past the router's 2 s read timeout: recorded, the answer lost.
            return {"kind": "hang", "delay_s": 3.0, "probability": 0.6, "seed": seed}
        if kind == "crm_slow":
            return {"kind": "slow", "delay_s": self._crm_rng.uniform(0.3, 1.5), "seed": seed}
        return {
            "kind": "rate_limit",
            "retry_after_s": self._crm_rng.choice((1, 2)),
            "probability": 0.8,
            "seed": seed,
        }

    async def set_crm_fault(self, mode: dict[str, Any]) -> None:
        # A kept-alive connection the simulator closed meanwhile fails the first try.
        async for attempt in paced(httpx.TransportError, attempts=5, pause_s=0.5):
            with attempt:
                answer = await self.http.put(f"{self.system.crm_url}/control/faults", json=mode)
        answer.raise_for_status()

    async def _reject_some(self, ends: float) -> None:
        """Reject leads assigned lately (their first delivery is likely still being
        retried), spread over the window: re-assignments while the CRM fails."""
        found = await rows(
            self.system.postgres.dsn,
            "SELECT l.id::text AS id FROM leads l JOIN assignments a ON a.lead_id = l.id"
            " WHERE l.status = 'assigned' AND l.campaign_id = $1 AND a.ended_at IS NULL"
            " ORDER BY a.assigned_at DESC LIMIT $2",
            CAMPAIGN,
            self.profile.rejects_per_window * 3,
        )
        candidates = [r["id"] for r in found if self._rejected[r["id"]] < REJECTS_PER_LEAD]
        chosen = self._crm_rng.sample(
            candidates, min(len(candidates), self.profile.rejects_per_window)
        )
        for lead_id in chosen:
            if time.monotonic() >= ends:
                return
            self._rejected[lead_id] += 1
            await self.callback(lead_id, "reject", {"reason": "chaos: not my region"})
            await asyncio.sleep(self._crm_rng.uniform(0, (ends - time.monotonic()) / len(chosen)))

    async def sla_lane(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.accept_sla_leads(breached_only=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 3)

    async def accept_sla_leads(self, *, breached_only: bool) -> int:
        """Accept the SLA campaign's open assignments: those after a breach (the next
        salesperson is quicker), or all of them (the run is ending: no more breaches)."""
        found = await rows(
            self.system.postgres.dsn,
            "SELECT a.lead_id::text AS lead_id, a.id::text AS id,"
            " a.salesperson_id::text AS salesperson_id FROM assignments a"
            " JOIN leads l ON l.id = a.lead_id WHERE l.campaign_id = $1"
            " AND l.status = 'assigned' AND a.ended_at IS NULL AND a.stage = 'new'"
            " AND (NOT $2 OR EXISTS (SELECT 1 FROM assignments b"
            " WHERE b.lead_id = a.lead_id AND b.stage = 'breached'))",
            SLA_CAMPAIGN,
            breached_only,
        )
        for row in found:
            await self.callback(
                row["lead_id"],
                "accept",
                {"salesperson_id": row["salesperson_id"]},
                event_id=f"chaos-accept-{row['id']}",
            )
        return len(found)

    async def callback(
        self, lead_id: str, action: str, body: dict[str, Any], *, event_id: str | None = None
    ) -> None:
        """The CRM calling back, on any router; resent with the same event id."""
        payload = {"event_id": event_id or f"chaos-{action}-{uuid.uuid4()}", **body}
        routers = [r for r in self.system.routers if r.alive]
        try:
            async for attempt in paced(Unanswered, attempts=6, pause_s=0.5):
                with attempt:
                    router = (routers or self.system.routers)[
                        (attempt.num - 1) % max(1, len(routers))
                    ]
                    answer = await self._post_callback(router, lead_id, action, payload)
        except Unanswered:
            self.log.callbacks[f"{action} unanswered"] += 1
        else:
            self.log.callbacks[f"{action} {answer.status_code}"] += 1

    async def _post_callback(
        self, router: Service, lead_id: str, action: str, payload: dict[str, Any]
    ) -> httpx.Response:
        try:
            answer = await self.http.post(
                f"{self.system.url(router)}/v1/leads/{lead_id}/{action}",
                json=payload,
                headers={"x-api-key": self.system.keys.crm},
                timeout=10,
            )
        except httpx.TransportError as error:
            raise Unanswered(str(error)) from error
        if answer.status_code >= 500:
            raise Unanswered(f"answered {answer.status_code}")
        return answer

    async def _pause(self, stop: asyncio.Event, rng: random.Random) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), rng.uniform(*self.profile.gap_s))

    async def heal(self) -> None:
        """The end of the faults: the CRM answers, every process runs."""
        await self.set_crm_fault({"kind": "none"})
        for service in [*self.system.scorers, *self.system.routers]:
            if not service.alive:
                await self.system.restart(service, self.http)
        await asyncio.to_thread(_stop, self.system.spare_router)


def _stop(service: Service) -> None:
    service.stop()
