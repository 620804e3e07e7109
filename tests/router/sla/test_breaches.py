"""A lead not accepted within its SLA goes to someone else, the manager's webhook (a
local HTTP server) hears of it once, and the breach is counted. The deadline is a row:
it is set by one router process and acted on by the next."""

import uuid
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request
from sqlalchemy import update

from leadrouter_router.leads.models import AssignmentRow
from leadrouter_router.platform.db import create_engine
from leadrouter_router.sla.handlers import CheckServiceLevels
from leadrouter_runtime.parts import parts_of
from tests.router.api_support import CRM
from tests.router.outcomes.support import (
    OutcomeApi,
    assigned_lead,
    lead_now,
    outcome_router,
    spring_demo_sla,
)
from tests.support.servers import serving
from tests.support.waiting import eventually


def manager_app(received: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()

    @app.post("/sla")
    async def notify(request: Request) -> dict[str, str]:
        received.append({"body": await request.json(), "headers": dict(request.headers)})
        return {"ok": "yes"}

    return app


def checker(app: FastAPI) -> CheckServiceLevels:
    found: CheckServiceLevels = parts_of(app).get(CheckServiceLevels)
    return found


async def test_a_lead_not_accepted_in_time_is_reassigned_and_the_manager_told_once(
    kafka: str, topic_prefix: str, database_url: str
) -> None:
    received: list[dict[str, Any]] = []
    async with serving(manager_app(received)) as manager_url:
        url = f"{manager_url}/sla"
        async with outcome_router(
            kafka=kafka, prefix=topic_prefix, database_url=database_url, manager_url=url
        ) as (client, app):
            await spring_demo_sla(client, accept_within_minutes=5)
            lead = await assigned_lead(client, kafka, topic_prefix)
            (first,) = lead["assignments"]
            assigned_at = datetime.fromisoformat(first["assigned_at"])
            # The deadline came with the assignment: the checker has nothing to set.
            due = datetime.fromisoformat(first["accept_due_at"])
            assert due == assigned_at + timedelta(minutes=5)  # the demo team works all hours
            armed = await checker(app).run_once(now=assigned_at + timedelta(minutes=1))
            assert (armed.armed, armed.breached) == (0, 0)

        # Five minutes pass (the outbox relay runs on the wall clock, so the test moves
        # the deadline rather than the clock), and another process takes over: the
        # timer was a row.
        await _move_deadline(database_url, uuid.UUID(first["id"]), to=assigned_at)
        async with outcome_router(
            kafka=kafka, prefix=topic_prefix, database_url=database_url, manager_url=url
        ) as (client, app):
            breached = await checker(app).run_once()
            again = await checker(app).run_once()

            assert (breached.breached, again.breached) == (1, 0)
            after = await lead_now(client, lead["id"])
            assert after["status"] == "assigned"
            assert after["owner_id"] not in (None, lead["owner_id"])
            stages = {a["salesperson_id"]: a["stage"] for a in after["assignments"]}
            assert stages == {lead["owner_id"]: "breached", after["owner_id"]: "new"}
            accepted = await client.post(
                f"/v1/leads/{lead['id']}/accept",
                json={"event_id": "late", "salesperson_id": lead["owner_id"]},
                headers=CRM,
            )
            assert accepted.status_code == 409

            (notification,) = await eventually(lambda: _some(received), what="the manager told")
            metrics = (await client.get("/metrics")).text

    assert len(received) == 1
    assert notification["body"]["lead_id"] == lead["id"]
    assert notification["body"]["target"] == "accept"
    assert notification["body"]["salesperson_id"] == lead["owner_id"]
    assert notification["body"]["reassigned_to"] == after["owner_id"]
    assert notification["headers"]["idempotency-key"] == f"sla-{first['id']}"
    assert 'router_sla_breaches_total{target="accept"} 1.0' in metrics
    assert 'router_reassignments_total{reason="sla_accept",result="assigned"} 1.0' in metrics


async def test_an_accepted_lead_not_touched_in_time_goes_to_someone_else(
    outcome_api: OutcomeApi, kafka: str, topic_prefix: str, database_url: str
) -> None:
    client, app = outcome_api
    await spring_demo_sla(client, first_touch_within_minutes=60)
    lead = await assigned_lead(client, kafka, topic_prefix)
    (first,) = lead["assignments"]
    accepted = await client.post(
        f"/v1/leads/{lead['id']}/accept", json={"event_id": "a-1"}, headers=CRM
    )
    assert accepted.status_code == 200, accepted.text
    armed = await checker(app).run_once()
    assert (armed.armed, armed.breached) == (0, 0)
    assert first["touch_due_at"] is not None
    await _move_deadline(
        database_url,
        uuid.UUID(first["id"]),
        to=datetime.fromisoformat(first["assigned_at"]),
        column="touch_due_at",
    )
    breached = await checker(app).run_once()
    after = await lead_now(client, lead["id"])
    metrics = (await client.get("/metrics")).text

    assert breached.breached == 1
    assert after["owner_id"] not in (None, lead["owner_id"])
    ended = next(a for a in after["assignments"] if a["id"] == first["id"])
    assert (ended["stage"], ended["end_reason"]) == ("breached", "sla_first_touch missed")
    assert ended["accept_due_at"] is None
    assert 'router_sla_breaches_total{target="first_touch"} 1.0' in metrics


async def _move_deadline(
    database_url: str, assignment_id: uuid.UUID, *, to: datetime, column: str = "accept_due_at"
) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                update(AssignmentRow).where(AssignmentRow.id == assignment_id).values({column: to})
            )
    finally:
        await engine.dispose()


async def _some(received: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    return list(received) if received else None
