"""GET /v1/reports/leakage over what the router stored (SQLite and PostgreSQL): small
hand-made leads through the API, and the seeded history of ``leadrouter demo
history``, in which the leak is planted (the slower the first touch, the more buy
elsewhere)."""

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from leadrouter_cli.history.store import fill
from leadrouter_router.platform.db import create_engine, migrate, session_factory
from tests.router.api_support import READ
from tests.router.outcomes.support import (
    OutcomeApi,
    assigned_lead,
    outcome_router,
    spring_demo_sla,
    work,
)

BUCKETS = ["5 min", "30 min", "1 h", "4 h", "1 day", "later", "not touched"]


def _row(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    (found,) = [r for r in rows if r["key"] == key]
    return found


async def test_leakage_by_cause_over_leads_worked_through_the_api(
    outcome_api: OutcomeApi, kafka: str, topic_prefix: str
) -> None:
    client = outcome_api.client
    await spring_demo_sla(client, accept_within_minutes=5)
    won, gone, _waiting = [await assigned_lead(client, kafka, topic_prefix) for _ in range(3)]
    for lead, outcome in (
        (won, {"outcome": "won", "value": 10, "currency": "EUR"}),
        (gone, {"outcome": "bought_elsewhere"}),
    ):
        await work(
            client,
            lead["id"],
            (("accept", {}), ("activity", {"channel": "call"}), ("outcome", outcome)),
        )
    report = await client.get(
        "/v1/reports/leakage", params={"campaign_id": "spring-demo"}, headers=READ
    )
    refused = await client.get("/v1/reports/leakage", headers={"X-API-Key": ""})
    backwards = await client.get(
        "/v1/reports/leakage",
        params={"from": "2026-12-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"},
        headers=READ,
    )

    assert report.status_code == 200, report.text
    body = report.json()
    assert (body["overall"]["leads"], body["overall"]["closed"]) == (3, 2)
    assert body["overall"]["rates"]["bought_elsewhere"] == 0.5
    low, high = body["overall"]["intervals"]["bought_elsewhere"]
    assert low < 0.5 < high
    times = body["by_time_to_first_touch"]
    assert [r["key"] for r in times] == BUCKETS
    # Touched within seconds of arriving: both closed leads are in the first bucket.
    assert (_row(times, "5 min")["won"], _row(times, "5 min")["bought_elsewhere"]) == (1, 1)
    assert _row(times, "not touched")["open"] == 1
    assert [r["key"] for r in body["by_grade"]] == ["A", "B", "C", "D"]
    # Accepted at once: the deadline set at assignment was met; the third still runs.
    assert (_row(body["by_sla"], "met")["closed"], _row(body["by_sla"], "none")["open"]) == (2, 1)
    people = {r["key"]: r for r in body["by_salesperson"]}
    assert people[won["owner_id"]]["name"]
    assert sum(r["leads"] for r in body["by_pool"]) == 3
    assert refused.status_code == 401
    assert backwards.status_code == 400
    assert backwards.headers["content-type"] == "application/problem+json"


async def test_on_the_generated_history_the_leak_rises_with_time_to_first_touch(
    kafka: str, topic_prefix: str, tmp_path: Path
) -> None:
    # SQLite only: 3,000 leads take a while to write, and the queries are the ones the
    # test above runs on both databases.
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'history.db'}"
    now = datetime.now(UTC)
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        async with session_factory(engine)() as session, session.begin():
            await fill(session, leads_count=3000, days=60, seed=7, now=now)
    finally:
        await engine.dispose()
    async with outcome_router(kafka=kafka, prefix=topic_prefix, database_url=database_url) as (
        client,
        _,
    ):
        answer = await client.get(
            "/v1/reports/leakage",
            params={"from": (now - timedelta(days=61)).isoformat(), "to": now.isoformat()},
            headers=READ,
        )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["overall"]["closed"] > 2000
    touched = [r for r in body["by_time_to_first_touch"] if r["key"] != "not touched"]
    rates = [r["rates"]["bought_elsewhere"] for r in touched if r["closed"] >= 50]
    assert len(rates) >= 4, touched
    # Rising: each bucket leaks at least as much as the one before (within noise),
    # and the slowest leaks far more than the fastest.
    assert all(later >= earlier - 0.03 for earlier, later in pairwise(rates)), rates
    assert rates[-1] - rates[0] > 0.15, rates


def test_the_openapi_document_describes_the_leakage_report(router_openapi: dict[str, Any]) -> None:
    document = router_openapi
    operation = document["paths"]["/v1/reports/leakage"]["get"]
    assert {"401", "403", "400", "422"} <= set(operation["responses"])
    report = document["components"]["schemas"]["LeakageReport"]["properties"]
    assert "5 min" in report["by_time_to_first_touch"]["description"]
    row = document["components"]["schemas"]["LeakRowOut"]["properties"]
    assert "Wilson" in row["intervals"]["description"]
