"""Faults the CRM delivery survives, with the real broker and databases: the CRM down
then back, answering 500s and slowly, and the router SIGKILLed on either side of the
CRM's answer. Every lead keeps one assignment and the CRM records it once."""

import asyncio
import json
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from leadrouter_router.settings import CrmSettings
from tests.router.crm.conftest import RouterDelivering
from tests.router.crm.fakes import ScriptedCrm, scripted
from tests.router.crm.support import (
    READ,
    READ_KEY,
    deliveries,
    send_leads,
    serving_on,
    settled,
)
from tests.support.servers import ServiceProcess, free_port
from tests.support.waiting import eventually


async def one_assignment_each(router: httpx.AsyncClient, crm: ScriptedCrm, count: int) -> None:
    """Each lead has one assignment, and the CRM recorded that one salesperson, once."""
    leads: list[dict[str, Any]] = (await router.get("/v1/leads", headers=READ)).json()["items"]
    assert len(leads) == count
    assert all(len(lead["assignments"]) == 1 for lead in leads)
    expected = {
        lead["assignments"][0]["id"]: lead["assignments"][0]["salesperson_id"] for lead in leads
    }
    recorded = {key: body["data"]["salesperson"]["id"] for key, body in crm.effects.items()}
    assert recorded == expected


async def test_the_crm_down_then_back_gets_every_assignment_once(
    router_delivering: RouterDelivering, kafka: str, topic_prefix: str, database_url: str
) -> None:
    port = free_port()
    crm = ScriptedCrm()
    async with router_delivering(
        CrmSettings(url=f"http://127.0.0.1:{port}/assignments", connect_timeout_s=1), database_url
    ) as router:
        await send_leads(kafka, topic_prefix, range(3))

        async def refused_while_down() -> bool | None:
            # Each tried, and tried again (once the circuit opens, only the probe is).
            found = await deliveries(router, 3)
            tried = all(d["attempts"] >= 1 and d["status"] == "pending" for d in found)
            return (tried and sum(d["attempts"] for d in found) >= 6) or None

        await eventually(refused_while_down, what="every delivery refused, some again")
        [sample, *_] = await deliveries(router, 3)
        assert "CRM unreachable" in sample["last_answer"]

        async with serving_on(scripted(crm), port):
            await settled(router, 3, "delivered")
        await one_assignment_each(router, crm, 3)
    assert len(crm.seen) == 3


async def test_500s_and_slow_answers_still_record_each_assignment_once(
    router_delivering: RouterDelivering, kafka: str, topic_prefix: str, database_url: str
) -> None:
    # Slow answers past the read timeout are recorded by the CRM all the same: the
    # router retries them with the same idempotency key, and the CRM keeps one.
    crm = ScriptedCrm(script=["slow", "slow", "500", "500", "slow"], slow_s=1.0)
    async with (
        serving_on(scripted(crm), free_port()) as crm_url,
        router_delivering(
            CrmSettings(url=f"{crm_url}/assignments", timeout_s=0.3), database_url
        ) as router,
    ):
        await send_leads(kafka, topic_prefix, range(3))
        done = await settled(router, 3, "delivered")
        await one_assignment_each(router, crm, 3)

    assert sum(d["attempts"] for d in done) > 3, "some deliveries were retried"
    assert len(crm.seen) > 3


@pytest.mark.parametrize("window", ["before_the_crm_answer", "after_the_crm_recorded"])
async def test_a_router_killed_around_the_crm_call_delivers_once_after_restart(
    window: str, kafka: str, topic_prefix: str, tmp_path: Path
) -> None:
    step = "hold" if window == "before_the_crm_answer" else "apply_then_hold"
    crm = ScriptedCrm(script=[step])
    port = free_port()
    async with serving_on(scripted(crm), free_port()) as crm_url:
        env = {
            "ROUTER_HTTP__PORT": str(port),
            "ROUTER_KAFKA__BOOTSTRAP_SERVERS": kafka,
            "ROUTER_KAFKA__TOPIC_PREFIX": topic_prefix,
            "ROUTER_KAFKA__GROUP_ID": f"{topic_prefix}router",
            "ROUTER_DB__URL": f"sqlite+aiosqlite:///{tmp_path / 'router.db'}",
            "ROUTER_CRM__URL": f"{crm_url}/assignments",
            "ROUTER_OUTBOX__LEASE_S": "1",
            "ROUTER_OUTBOX__POLL_INTERVAL_S": "0.1",
            "ROUTER_SEED_DEMO_SALESPEOPLE": "true",
            "ROUTER_AUTH__API_KEYS": json.dumps(
                [{"name": "dashboard", "key": READ_KEY, "scope": "read"}]
            ),
        }
        base_url = f"http://127.0.0.1:{port}"
        first = ServiceProcess("leadrouter_router", env, tmp_path / "router-1.log")
        try:
            await first.wait_ready(f"{base_url}/readyz")
            await send_leads(kafka, topic_prefix, range(1))
            await eventually(lambda: _seen(crm, 1), what="the CRM call in flight")
            first.process.send_signal(signal.SIGKILL)
            await asyncio.to_thread(first.process.wait)
        finally:
            crm.release.set()
            first.stop()
        assert first.process.returncode == -signal.SIGKILL
        assert len(crm.effects) == (0 if step == "hold" else 1)

        # A fresh consumer group: the killed member would hold the old group's partitions
        # until its session times out (10 s), and the outbox is what is under test here.
        # Replayed scored events, if any, are replay-stable (no second assignment).
        restarted = {**env, "ROUTER_KAFKA__GROUP_ID": f"{topic_prefix}router-restarted"}
        second = ServiceProcess("leadrouter_router", restarted, tmp_path / "router-2.log")
        try:
            await second.wait_ready(f"{base_url}/readyz")
            async with httpx.AsyncClient(base_url=base_url, timeout=10) as router:
                [done] = await settled(router, 1, "delivered")
                await one_assignment_each(router, crm, 1)
        finally:
            second.stop()

    assert done["attempts"] == 2, "the killed attempt counts: it was recorded before the call"
    assert crm.seen == [done["assignment_id"]] * 2, "the same idempotency key both times"


async def _seen(crm: ScriptedCrm, count: int) -> bool | None:
    return len(crm.seen) >= count or None
