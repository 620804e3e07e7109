"""Batches within the CRMs' documented limits, against the simulator in its limit modes
(deploy/crm-simulator, limits.py): batch sizes, a 429's Retry-After, a retried batch
whose answer was lost, and one request budget shared by two relays."""

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select

from leadrouter_crm_simulator.app import create_app as create_crm
from leadrouter_crm_simulator.crms import CrmState
from leadrouter_crm_simulator.limits import Limits
from leadrouter_router.crm.budget import Rate, RateBudget, RateBudgetRow
from leadrouter_router.crm.client import CrmDeliverer, create_http_client
from leadrouter_router.platform.db import create_engine, session_factory
from leadrouter_router.platform.outbox import (
    DELIVERED,
    OutboxRelay,
    OutboxRow,
    RetryableDeliveryError,
    enqueue_all,
    pending_message,
)
from leadrouter_schemas import encode
from tests.router.crm.support import (
    arm_fault,
    delivering_to,
    event,
    hubspot,
    message,
    salesforce,
)
from tests.support.servers import serving
from tests.support.waiting import eventually


async def test_hubspot_batches_stay_within_100_inputs_and_make_no_search() -> None:
    state = CrmState()
    limits = Limits(mode="hubspot-limits", window_requests=1000)
    messages = [message(event(f"lead{n}@example.com")) for n in range(250)]
    async with delivering_to(create_crm(limits=limits, crms=state), hubspot) as deliver:
        assert deliver.max_batch == 100
        assert await deliver.deliver_batch(messages) == [None] * 250

    stats = state.stats()
    # 3 chunks, 4 calls each: contacts read (207: none known), upsert; notes read
    # (207: none made), create.
    assert stats["answers"] == {"207": 6, "200": 3, "201": 3}
    assert (stats["contacts"], stats["notes"], stats["duplicate_notes"]) == (250, 250, 0)
    assert not any("search" in call for call in state.calls)


async def test_the_simulator_refuses_a_batch_over_the_documented_size() -> None:
    limits = Limits(mode="hubspot-limits")
    async with (
        serving(create_crm(limits=limits)) as base_url,
        httpx.AsyncClient(base_url=base_url) as client,
    ):
        inputs = [{"id": f"lead{n}@example.com"} for n in range(101)]
        hubspot_answer = await client.post(
            "/crm/v3/objects/contacts/batch/read",
            json={"idProperty": "email", "inputs": inputs},
        )
        await client.put("/control/limits", json={"mode": "salesforce-limits"})
        records = [{"attributes": {"type": "Lead"}, "X__c": str(n)} for n in range(201)]
        salesforce_answer = await client.patch(
            "/services/data/v60.0/composite/sobjects/Lead/X__c", json={"records": records}
        )

    assert hubspot_answer.status_code == 400
    assert hubspot_answer.json()["category"] == "VALIDATION_ERROR"
    assert salesforce_answer.status_code == 400
    assert salesforce_answer.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


async def test_salesforce_collections_stay_within_200_records() -> None:
    state = CrmState()
    messages = [message(event(f"lead{n}@example.com")) for n in range(450)]
    limits = Limits(mode="salesforce-limits")
    async with delivering_to(create_crm(limits=limits, crms=state), salesforce) as deliver:
        assert deliver.max_batch == 200
        assert await deliver.deliver_batch(messages) == [None] * 450

    stats = state.stats()
    assert stats["calls"] == 6, "3 collections of Leads, 3 of Tasks"
    assert stats["answers"] == {"200": 6}
    assert (stats["leads"], stats["tasks"], stats["duplicate_tasks"]) == (450, 450, 0)


async def test_salesforce_request_limit_exceeded_is_retried_later_not_failed() -> None:
    limits = Limits(mode="salesforce-limits", daily_requests=2)
    messages = [message(event(f"lead{n}@example.com")) for n in range(3)]
    async with delivering_to(create_crm(limits=limits), salesforce) as deliver:
        assert await deliver.deliver_batch(messages[:1]) == [None]  # 2 of 2 requests
        [refused] = await deliver.deliver_batch(messages[1:2])

    assert isinstance(refused, RetryableDeliveryError)
    assert refused.rate_limited
    assert "REQUEST_LIMIT_EXCEEDED" in str(refused)


@pytest.mark.parametrize("crm_kind", ["hubspot", "salesforce"])
async def test_a_retried_batch_whose_answer_was_lost_makes_no_duplicate(crm_kind: str) -> None:
    """The CRM made the notes (tasks) and the answer was lost; the retry, seconds later,
    while HubSpot's search index has not caught up (search_lag_s), makes none again."""
    state = CrmState()
    mode = "hubspot-limits" if crm_kind == "hubspot" else "salesforce-limits"
    path = "notes/batch/create" if crm_kind == "hubspot" else "composite/sobjects/Task"
    messages = [message(event(f"lead{n}@example.com")) for n in range(20)]
    crm_app = create_crm(limits=Limits(mode=mode, search_lag_s=600), crms=state)
    lost = {"kind": "lost_answer", "status": 502, "count": 1, "path": path}
    crm = hubspot if crm_kind == "hubspot" else salesforce
    async with delivering_to(crm_app, crm, fault=lost) as deliver:
        first = await deliver.deliver_batch(messages)
        assert all(isinstance(r, RetryableDeliveryError) for r in first)
        assert await deliver.deliver_batch(messages) == [None] * 20

    stats = state.stats()
    assert (stats["notes"] if crm_kind == "hubspot" else stats["tasks"]) == 20
    assert stats["duplicate_notes"] == stats["duplicate_tasks"] == 0


async def test_a_429_blocks_the_account_until_its_retry_after_and_costs_no_request(
    database_url: str,
) -> None:
    state = CrmState()
    engine = create_engine(database_url)
    try:
        async with serving(create_crm(limits=Limits(mode="hubspot-limits"), crms=state)) as url:
            await arm_fault(url, kind="rate_limit", retry_after_s=3, count=1)
            crm = hubspot(url, rate_per_s=50, rate_max_wait_s=0.5)
            async with create_http_client(crm) as client:
                deliver = CrmDeliverer(crm, client, sessions=session_factory(engine))
                messages = [message(event())]
                [first] = await deliver.deliver_batch(messages)
                calls = state.stats()["calls"]
                [second] = await deliver.deliver_batch(messages)
                assert state.stats()["calls"] == calls, "no request while the account waits"

                async def delivered() -> bool | None:
                    return await deliver.deliver_batch(messages) == [None] or None

                await eventually(delivered, timeout_s=30, what="delivery after Retry-After")
    finally:
        await engine.dispose()

    assert isinstance(first, RetryableDeliveryError)
    assert first.rate_limited
    assert first.retry_after_s == 3
    assert isinstance(second, RetryableDeliveryError)
    assert second.rate_limited
    assert second.retry_after_s is not None
    assert 0 < second.retry_after_s <= 3
    assert state.stats()["answers"]["429"] == 1


async def test_two_relays_share_one_budget_per_account(database_url: str) -> None:
    """Two router processes (two engines) spend one bucket: of 20 requests tried at once
    against a burst of 6 that hardly refills, 6 go, whichever replica asks."""
    engines = [create_engine(database_url), create_engine(database_url)]
    try:
        budgets = [
            RateBudget(
                session_factory(engine),
                account="hubspot https://api.hubapi.com",
                rate=Rate(per_s=0.001, burst=6),
                max_wait_s=0.01,
            )
            for engine in engines
        ]
        went = refused = 0
        for n in range(20):
            try:
                await budgets[n % 2].acquire()
                went += 1
            except RetryableDeliveryError:
                refused += 1
        async with session_factory(engines[0])() as session:
            [row] = (await session.scalars(select(RateBudgetRow))).all()
    finally:
        for engine in engines:
            await engine.dispose()

    assert (went, refused) == (6, 14)
    assert row.tokens < 1


async def test_two_relays_deliver_a_burst_within_the_window_without_a_429(
    database_url: str,
) -> None:
    """Two relays (two engines, as two router replicas) against an account of 10 requests
    per 10 s, their shared budget sized for it: every assignment delivered, once, and
    the CRM never had to refuse a request."""
    state = CrmState()
    limits = Limits(mode="hubspot-limits", window_requests=10)
    engines = [create_engine(database_url), create_engine(database_url)]
    sessions = [session_factory(engine) for engine in engines]
    events = [event(f"lead{n}@example.com") for n in range(250)]
    async with sessions[0].begin() as session:
        await enqueue_all(
            session,
            [
                pending_message(
                    kind="crm",
                    destination="hubspot",
                    key=str(e.data.lead_id),
                    payload=encode(e).decode(),
                    idempotency_key=str(e.data.assignment_id),
                    now=datetime.now(UTC),
                )
                for e in events
            ],
        )
    tasks: list[asyncio.Task[None]] = []
    try:
        async with serving(create_crm(limits=limits, crms=state)) as url:
            crm = hubspot(url, rate_per_s=0.9, rate_burst=1)  # at most 10 in any 10 s
            async with create_http_client(crm) as client:
                relays = [
                    OutboxRelay(
                        sessions=s,
                        deliverers={"crm": CrmDeliverer(crm, client, sessions=s)},
                        clock=lambda: datetime.now(UTC),
                        poll_interval_s=0.1,
                        batch_size=100,
                        lease_s=60,
                        backoff_base_s=0.1,
                        backoff_max_s=1,
                        superseding_kinds={"crm"},
                    )
                    for s in sessions
                ]
                tasks = [asyncio.create_task(relay.run()) for relay in relays]

                async def all_delivered() -> bool | None:
                    async with sessions[0]() as session:
                        done = await session.scalar(
                            select(func.count()).where(OutboxRow.status == DELIVERED)
                        )
                    return done == len(events) or None

                await eventually(all_delivered, timeout_s=120, interval_s=0.5, what="the burst")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for engine in engines:
            await engine.dispose()

    stats = state.stats()
    assert stats["refused_by_limits"] == 0
    assert "429" not in stats["answers"]
    assert (stats["notes"], stats["duplicate_notes"]) == (250, 0)
