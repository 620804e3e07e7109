"""One chaos run: start the system, load it, break it at random moments, heal it,
wait for it to settle, then check every lead and print the table."""

import asyncio
import contextlib
import json
import logging
import random
import statistics
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from leadrouter_chaos.checker import Observations, Verdict, check
from leadrouter_chaos.faults import Chaos, FaultLog, rows
from leadrouter_chaos.load import Load
from leadrouter_chaos.observe import observe
from leadrouter_chaos.profiles import CRM_FAULTS, PROCESS_FAULTS, Profile
from leadrouter_chaos.system import System

log = logging.getLogger("chaos")


@dataclass
class Outcome:
    profile: str
    seed: int
    load_s: float = 0.0
    offered: int = 0
    resent: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)
    callbacks: dict[str, int] = field(default_factory=dict)
    sla_breaches: int = 0
    restart_s: list[float] = field(default_factory=list)
    settle_s: float | None = None
    verdict: Verdict = field(default_factory=Verdict)

    @property
    def ok(self) -> bool:
        return self.verdict.ok and self.settle_s is not None and not self.refused


async def run(profile: Profile, workdir: Path) -> Outcome:
    system = System.plan(workdir)
    outcome = Outcome(profile=profile.name, seed=profile.seed)
    async with httpx.AsyncClient(
        limits=httpx.Limits(max_connections=300, max_keepalive_connections=100)
    ) as http:
        try:
            await system.start(http)
            await _play(system, http, profile, outcome)
        finally:
            log.info("stopping everything")
            await system.stop()
    return outcome


async def _play(system: System, http: httpx.AsyncClient, profile: Profile, out: Outcome) -> None:
    run_id = f"c{uuid.uuid4().hex[:6]}"
    load = Load(
        scorers=[system.url(s) for s in system.scorers],
        secret=system.keys.webhook,
        profile=profile,
        run_id=run_id,
        rng=random.Random(f"{profile.seed}-load"),  # noqa: S311
    )
    chaos = Chaos(system, http, profile)
    stop_load, stop_faults = asyncio.Event(), asyncio.Event()
    lanes = [
        asyncio.create_task(load.run(stop_load, http)),
        asyncio.create_task(chaos.process_lane(stop_faults)),
        asyncio.create_task(chaos.crm_lane(stop_faults)),
        asyncio.create_task(chaos.sla_lane(stop_faults)),
    ]
    began = time.monotonic()
    try:
        while True:
            elapsed = time.monotonic() - began
            if elapsed >= profile.max_load_s:
                break
            if (
                elapsed >= profile.load_s
                and chaos.log.total >= profile.min_faults
                and chaos.log.on_processes >= profile.min_process_faults
            ):
                break
            for lane in lanes:
                if lane.done():
                    lane.result()  # a lane that failed fails the run
            await asyncio.sleep(1)
            _progress(load, chaos.log, elapsed)
        stop_faults.set()
        stop_load.set()
        await asyncio.gather(*lanes)
    finally:
        for lane in lanes:
            lane.cancel()
    out.load_s = time.monotonic() - began
    log.info("healing: the CRM answers, every process runs")
    healed = time.monotonic()
    await chaos.heal()
    seen = await _settle(system, http, chaos, load, healed + profile.settle_s)
    if seen is not None:
        out.settle_s = time.monotonic() - healed
    else:
        seen = await observe(system, http, load.acked)
    out.verdict = check(seen)
    out.offered, out.resent, out.refused = load.offered, load.resent, dict(load.refused)
    out.faults = {k: chaos.log.counts[k] for k in (*PROCESS_FAULTS, *CRM_FAULTS)}
    out.callbacks = dict(chaos.log.callbacks)
    out.restart_s = chaos.log.recovery_s
    breaches = await rows(
        system.postgres.dsn, "SELECT count(*) AS n FROM assignments WHERE stage = 'breached'"
    )
    out.sla_breaches = breaches[0]["n"] if breaches else -1


async def _settle(
    system: System, http: httpx.AsyncClient, chaos: Chaos, load: Load, deadline: float
) -> Observations | None:
    """Observe until nothing is on its way any more (the outbox empty, every lead
    and its current assignment arrived), or the deadline: the observations of the
    settled system, or None. What is wrong then (order, owners) stays wrong."""
    while time.monotonic() < deadline:
        # No more SLA breaches from here on: the run's last leads are accepted.
        await chaos.accept_sla_leads(breached_only=False)
        seen = await observe(system, http, load.acked)
        verdict = check(seen)
        log.info(
            "settling: outbox pending %s, %s violations", seen.outbox_pending, verdict.violations
        )
        if seen.outbox_pending == 0 and not (
            verdict.lost or verdict.lost_at_crm or verdict.lost_on_topic
        ):
            return seen
        await asyncio.sleep(5)
    return None


def _progress(load: Load, faults: FaultLog, elapsed: float) -> None:
    if int(elapsed) % 15 == 0:
        log.info(
            "t=%ds offered %d, acked %d, faults %d %s",
            elapsed,
            load.offered,
            len(load.acked),
            faults.total,
            dict(faults.counts),
        )


def table(out: Outcome) -> Iterator[str]:
    v = out.verdict
    restart = out.restart_s
    rows_: list[tuple[str, object]] = [
        ("profile (seed)", f"{out.profile} ({out.seed})"),
        ("load phase", f"{out.load_s:.0f} s"),
        ("faults", sum(out.faults.values())),
        *((f"  {kind}", n) for kind, n in out.faults.items()),
        ("reject callbacks", sum(n for k, n in out.callbacks.items() if k.startswith("reject"))),
        ("SLA breaches (re-assigned)", out.sla_breaches),
        ("leads offered", out.offered),
        ("leads acknowledged (202)", v.leads),
        ("  resent after no 202", out.resent),
        ("  refused for good", sum(out.refused.values())),
        *((f"  ended {state}", v.end_states[state]) for state in sorted(v.end_states)),
        ("  re-assigned", v.reassigned_leads),
        ("lost", v.lost),
        ("  current assignment not at the CRM", v.lost_at_crm),
        ("  current assignment not on leads.assigned", v.lost_on_topic),
        ("duplicated", v.duplicated),
        ("out of order", v.out_of_order),
        ("wrong final owner at the CRM", v.wrong_final_owner),
        ("router owner not its last assignment", v.router_inconsistent),
        ("repeats with the same key/event id (harmless)", v.crm_repeats + v.topic_repeats),
        (
            "restart to ready (median / max)",
            f"{statistics.median(restart):.1f} s / {max(restart):.1f} s" if restart else "-",
        ),
        (
            "recovery: healed to all delivered",
            f"{out.settle_s:.1f} s" if out.settle_s is not None else "NOT SETTLED",
        ),
        ("verdict", "PASS" if out.ok else "FAIL"),
    ]
    width = max(len(name) for name, _ in rows_)
    yield f"{'':-<{width}}  {'':-<12}"
    for name, value in rows_:
        yield f"{name:<{width}}  {value}"
    yield f"{'':-<{width}}  {'':-<12}"
    for problem in v.problems:
        yield f"! {problem}"
    for reason, n in out.refused.items():
        yield f"! {n} leads refused: {reason}"


def save(out: Outcome, path: Path) -> None:
    data = asdict(out)
    data["verdict"]["end_states"] = dict(out.verdict.end_states)
    data["verdict"]["violations"] = out.verdict.violations
    data["ok"] = out.ok
    with contextlib.suppress(OSError):
        path.write_text(json.dumps(data, indent=2, default=str))
