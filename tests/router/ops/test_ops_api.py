"""What the ops page reads, as JSON, against the real broker and both databases:
throughput and lag per partition, dead letters with their reasons, SLA breaches
and the latest decisions with their why."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from leadrouter_router.settings import OpsSettings
from leadrouter_router.sla.handlers import CheckServiceLevels
from leadrouter_runtime.parts import parts_of
from leadrouter_schemas import topics
from tests.router.api_support import READ
from tests.router.outcomes.support import assigned_lead, outcome_router, spring_demo_sla
from tests.support.kafka import produce
from tests.support.waiting import eventually


@asynccontextmanager
async def ops_router(
    *, kafka: str, prefix: str, database_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    """The outcome tests' router, sampling topics often, read with the read key."""
    async with outcome_router(
        kafka=kafka,
        prefix=prefix,
        database_url=database_url,
        settings_update={
            "ops": OpsSettings(sample_interval_s=0.2, scorer_group_id=f"{prefix}scorer")
        },
    ) as (client, app):
        client.headers.update(READ)
        yield client, app


def partitions_of(view: dict[str, Any], topic: str) -> list[dict[str, Any]]:
    (found,) = [t for t in view["topics"] if t["topic"] == topic]
    partitions: list[dict[str, Any]] = found["partitions"]
    return partitions


async def test_topics_show_records_rates_and_each_groups_lag(
    kafka: str, topic_prefix: str, database_url: str
) -> None:
    received = topic_prefix + topics.LEADS_RECEIVED
    scored = topic_prefix + topics.LEADS_SCORED
    async with ops_router(kafka=kafka, prefix=topic_prefix, database_url=database_url) as (
        client,
        _,
    ):
        lead = await assigned_lead(client, kafka, topic_prefix)
        # Nobody scores here: what arrives on leads.received waits for the scorer's group.
        await produce(kafka, received, [b"{}", b"{}", b"{}"], key=b"one-partition")

        async def caught_up() -> dict[str, Any] | None:
            view: dict[str, Any] = (await client.get("/v1/ops/topics")).json()
            waiting = sum(p["lag"][f"{topic_prefix}scorer"] for p in partitions_of(view, received))
            routed = sum(p["lag"][f"{topic_prefix}router"] for p in partitions_of(view, scored))
            return view if (waiting, routed) == (3, 0) else None

        view = await eventually(caught_up, what="the scorer's lag at 3, the router's at 0")

        # Rates come once two samples saw the partition; a quiet topic grows by nothing.
        async def rated(topic: str) -> list[dict[str, Any]] | None:
            view: dict[str, Any] = (await client.get("/v1/ops/topics")).json()
            partitions = partitions_of(view, topic)
            return partitions if all(p["per_second"] is not None for p in partitions) else None

        quiet = await eventually(
            lambda: rated(topic_prefix + topics.LEADS_REJECTED), what="rates of leads.rejected"
        )

    assert lead["status"] == "assigned"
    assert view["groups"] == {
        f"{topic_prefix}scorer": [received],
        f"{topic_prefix}router": [scored],
        f"{topic_prefix}router.rejections": [topic_prefix + topics.LEADS_REJECTED],
    }
    names = [t["topic"] for t in view["topics"]]
    assert names[:5] == [
        topic_prefix + name
        for name in (
            topics.LEADS_RECEIVED,
            topics.LEADS_SCORED,
            topics.LEADS_REJECTED,
            topics.LEADS_ASSIGNED,
            topics.LEADS_OUTCOMES,
        )
    ]
    (received_total,) = [t for t in view["topics"] if t["topic"] == received]
    assert received_total["end_offset"] == received_total["records"] == 3
    assert received_total["lag"] == {f"{topic_prefix}scorer": 3}
    assert [p["partition"] for p in received_total["partitions"]] == [0, 1, 2]
    assigned_topic = [
        t for t in view["topics"] if t["topic"] == topic_prefix + topics.LEADS_ASSIGNED
    ]
    assert assigned_topic[0]["lag"] == {}  # read by CRM connectors, not by a group of ours
    assert len(quiet) >= 1
    assert [p["per_second"] for p in quiet] == [0.0] * len(quiet)


async def test_dead_letters_show_the_reason_and_where_they_came_from(
    kafka: str, topic_prefix: str, database_url: str
) -> None:
    scored = topic_prefix + topics.LEADS_SCORED
    async with ops_router(kafka=kafka, prefix=topic_prefix, database_url=database_url) as (
        client,
        _,
    ):
        empty = (await client.get("/v1/ops/dead-letters")).json()
        await produce(kafka, scored, [b"not an event"], key=b"garbage-key")

        async def dead_lettered() -> dict[str, Any] | None:
            view: dict[str, Any] = (await client.get("/v1/ops/dead-letters")).json()
            return view if view["items"] else None

        view = await eventually(dead_lettered, what="the garbage on leads.scored.dlq")

    assert empty["items"] == []
    assert {t["topic"]: t["records"] for t in view["topics"]}[scored + ".dlq"] == 1
    assert all(t["records"] == 0 for t in view["topics"] if t["topic"] != scored + ".dlq")
    # Only dead-letter topics that exist: nothing of ours consumes leads.assigned.
    assert topic_prefix + topics.LEADS_ASSIGNED + ".dlq" not in {t["topic"] for t in view["topics"]}
    (letter,) = view["items"]
    assert letter["topic"] == scored + ".dlq"
    assert letter["source_topic"] == scored
    assert letter["source_offset"] == 0
    assert letter["key"] == "garbage-key"
    assert letter["preview"] == "not an event"
    assert letter["size_bytes"] == len(b"not an event")
    assert letter["reason"]


async def test_decisions_and_sla_breaches_say_who_why_and_who_has_the_lead_now(
    kafka: str, topic_prefix: str, database_url: str
) -> None:
    async with ops_router(kafka=kafka, prefix=topic_prefix, database_url=database_url) as (
        client,
        app,
    ):
        await spring_demo_sla(client, accept_within_minutes=5)
        lead = await assigned_lead(client, kafka, topic_prefix)
        (first,) = lead["assignments"]
        assigned_at = datetime.fromisoformat(first["assigned_at"])
        checker: CheckServiceLevels = parts_of(app).get(CheckServiceLevels)
        assert (await checker.run_once(now=assigned_at)).armed == 0  # armed at assignment
        due_soon = (await client.get("/v1/ops/sla-due", params={"within_minutes": 10})).json()
        due_later = (await client.get("/v1/ops/sla-due", params={"within_minutes": 1})).json()
        assert (await checker.run_once(now=assigned_at + timedelta(minutes=6))).breached == 1
        due_after = (await client.get("/v1/ops/sla-due", params={"within_minutes": 10})).json()

        decisions = (await client.get("/v1/ops/decisions", params={"limit": 5})).json()
        breaches = (await client.get("/v1/ops/sla-breaches")).json()
        later = (
            await client.get(
                "/v1/ops/sla-breaches",
                params={"since": (assigned_at + timedelta(minutes=7)).isoformat()},
            )
        ).json()
        people = {p["id"]: p["name"] for p in (await client.get("/v1/salespeople")).json()["items"]}

    newest, original = decisions["items"]
    assert original["lead_id"] == newest["lead_id"] == lead["id"]
    assert original["salesperson_id"] == lead["owner_id"]
    assert original["salesperson_name"] == people[lead["owner_id"]]
    assert (original["outcome"], original["via"], original["campaign_id"]) == (
        "assigned",
        "rule",
        "spring-demo",
    )
    assert original["reason"]
    assert (original["pool"], original["strategy"]) == ("demo", "round_robin")
    assert newest["salesperson_id"] not in (None, lead["owner_id"])  # re-routed
    assert newest["decided_at"] >= original["decided_at"]

    (breach,) = breaches["items"]
    assert breach["assignment_id"] == first["id"]
    assert breach["target"] == "accept"
    assert breach["missed_by_id"] == lead["owner_id"]
    assert breach["missed_by_name"] == people[lead["owner_id"]]
    assert breach["owner_now_id"] == newest["salesperson_id"]
    assert breach["owner_now_name"] == people[newest["salesperson_id"]]
    assert datetime.fromisoformat(breach["due_at"]) == assigned_at + timedelta(minutes=5)
    assert later["items"] == []

    (due,) = due_soon["items"]
    assert (due["assignment_id"], due["target"], due["overdue"]) == (first["id"], "accept", False)
    assert due["salesperson_name"] == people[lead["owner_id"]]
    assert datetime.fromisoformat(due["due_at"]) == assigned_at + timedelta(minutes=5)
    assert due_later["items"] == []  # five minutes away is not within one
    # Breached and ended: no longer due (the new assignment's own deadline may be).
    assert first["id"] not in {d["assignment_id"] for d in due_after["items"]}


async def test_ops_data_needs_the_read_scope_but_the_page_itself_is_open(
    kafka: str, topic_prefix: str, database_url: str
) -> None:
    async with ops_router(kafka=kafka, prefix=topic_prefix, database_url=database_url) as (
        client,
        _,
    ):
        anonymous = {"X-API-Key": ""}
        refused = await client.get("/v1/ops/topics", headers=anonymous)
        page = await client.get("/ops", headers=anonymous)
        script = await client.get("/ops/ops.js", headers=anonymous)
        missing = await client.get("/ops/secrets.env", headers=anonymous)
        too_many = await client.get("/v1/ops/decisions", params={"limit": 1000})
        schema = (await client.get("/openapi.json")).json()

    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert '<script src="/ops/ops.js"' in page.text
    assert script.headers["content-type"].startswith("text/javascript")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert too_many.status_code == 422
    for path in (
        "/v1/ops/topics",
        "/v1/ops/dead-letters",
        "/v1/ops/sla-breaches",
        "/v1/ops/sla-due",
    ):
        assert 401 in {int(code) for code in schema["paths"][path]["get"]["responses"]}
