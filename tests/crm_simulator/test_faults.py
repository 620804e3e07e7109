"""The CRM simulator's faults, set at run time: each answers as the docs say
(docs/crm.md, retries) and the ledger shows what the CRM recorded."""

from typing import Any

import httpx
import pytest

from leadrouter_crm_simulator.app import create_app
from leadrouter_crm_simulator.faults import FaultMode, FaultState
from tests.support.servers import serving

BODY = {"data": {"lead_id": "L1", "assignment_id": "a1", "salesperson": {"id": "s1"}}}


async def post(crm: httpx.AsyncClient, key: str, **kwargs: Any) -> httpx.Response:
    return await crm.post("/assignments", json=BODY, headers={"Idempotency-Key": key}, **kwargs)


async def ledger(crm: httpx.AsyncClient) -> list[dict[str, Any]]:
    answer: list[dict[str, Any]] = (await crm.get("/ledger")).json()
    return answer


@pytest.mark.parametrize("status", [500, 503])
async def test_an_error_fault_answers_the_status_and_records_nothing(status: int) -> None:
    async with serving(create_app()) as url, httpx.AsyncClient(base_url=url) as crm:
        await crm.put("/control/faults", json={"kind": "error", "status": status, "count": 1})

        first, second = await post(crm, "a1"), await post(crm, "a1")

        assert (first.status_code, second.status_code) == (status, 201)
        assert [e["recorded"] for e in await ledger(crm)] == [False, True]


async def test_a_rate_limit_answers_429_with_retry_after() -> None:
    async with serving(create_app()) as url, httpx.AsyncClient(base_url=url) as crm:
        await crm.put("/control/faults", json={"kind": "rate_limit", "retry_after_s": 7})

        answer = await post(crm, "a1")

        assert answer.status_code == 429
        assert answer.headers["retry-after"] == "7"
        assert (await crm.get("/assignments")).json() == {}


async def test_a_hang_records_first_so_the_answer_is_what_gets_lost() -> None:
    async with serving(create_app()) as url, httpx.AsyncClient(base_url=url) as crm:
        await crm.put("/control/faults", json={"kind": "hang", "delay_s": 1, "count": 1})

        with pytest.raises(httpx.ReadTimeout):
            await post(crm, "a1", timeout=httpx.Timeout(5, read=0.5))
        retry = await post(crm, "a1")

        assert retry.status_code == 200  # the same key again: acknowledged, not recorded
        entries = await ledger(crm)
        assert [(e["answered"], e["recorded"]) for e in entries] == [(201, True), (200, False)]
        assert entries[0]["lead_id"] == "L1"
        assert entries[0]["assignment_id"] == "a1"
        assert entries[0]["salesperson_id"] == "s1"


async def test_a_slow_answer_still_records_and_none_ends_the_fault() -> None:
    async with serving(create_app()) as url, httpx.AsyncClient(base_url=url) as crm:
        await crm.put("/control/faults", json={"kind": "slow", "delay_s": 0.2})
        slow = await post(crm, "a1")
        await crm.put("/control/faults", json={"kind": "none"})
        normal = await post(crm, "a2")

        assert (slow.status_code, normal.status_code) == (201, 201)
        assert (await crm.get("/control/faults")).json()["kind"] == "none"


def test_a_seeded_probability_picks_the_same_requests_again() -> None:
    def picks() -> list[bool]:
        state = FaultState()
        state.set(FaultMode(kind="error", probability=0.5, seed=42))
        return [state.take() is not None for _ in range(40)]

    first = picks()
    assert first == picks()
    assert 0 < sum(first) < 40


def test_a_count_ends_the_fault() -> None:
    state = FaultState()
    state.set(FaultMode(kind="error", count=2))
    assert [state.take() is not None for _ in range(4)] == [True, True, False, False]
