"""The deadlines belong to the assignment from the moment it is made: a salesperson
who accepts, touches and closes a lead before any SLA check gets the credit, and an
assignment stored without deadlines (by an older router) gets them from the
checker, ended or not."""

import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from leadrouter_router.leads.models import AssignmentRow
from leadrouter_router.platform.db import create_engine
from leadrouter_router.sla.handlers import CheckServiceLevels
from leadrouter_runtime.parts import parts_of
from tests.router.api_support import ADMIN, READ
from tests.router.outcomes.support import OutcomeApi, assigned_lead, lead_now, work


async def _work(client: httpx.AsyncClient, lead_id: str) -> None:
    """Accept, touch and close the lead at once (the SLA checker never ran)."""
    await work(
        client,
        lead_id,
        (
            ("accept", {}),
            ("activity", {"channel": "call"}),
            ("outcome", {"outcome": "won", "value": 500, "currency": "EUR"}),
        ),
    )


async def _salesperson_row(client: httpx.AsyncClient, salesperson_id: str) -> dict[str, Any]:
    report = await client.get("/v1/reports/funnel", headers=READ)
    assert report.status_code == 200, report.text
    rows: list[dict[str, Any]] = report.json()["salespeople"]
    (row,) = [p for p in rows if p["salesperson_id"] == salesperson_id]
    return row


async def _targets(client: httpx.AsyncClient) -> None:
    put = await client.put(
        "/v1/campaigns/spring-demo",
        json={
            "name": "Spring demo",
            "sla": {"accept_within_minutes": 5, "first_touch_within_minutes": 60},
        },
        headers=ADMIN,
    )
    assert put.status_code in (200, 201), put.text


async def test_a_lead_worked_within_the_check_interval_counts_as_sla_met(
    outcome_api: OutcomeApi, kafka: str, topic_prefix: str
) -> None:
    client = outcome_api.client
    await _targets(client)
    lead = await assigned_lead(client, kafka, topic_prefix)
    await _work(client, lead["id"])
    (assignment,) = (await lead_now(client, lead["id"]))["assignments"]
    row = await _salesperson_row(client, lead["owner_id"])

    assert assignment["stage"] == "won"
    assert assignment["accept_due_at"] is not None
    assert assignment["touch_due_at"] is not None
    assert (row["sla_met"], row["sla_missed"], row["sla_hit_rate"]) == (2, 0, 1.0)


async def test_the_checker_sets_the_deadlines_of_assignments_stored_without_them(
    outcome_api: OutcomeApi, kafka: str, topic_prefix: str, database_url: str
) -> None:
    client, app = outcome_api
    await _targets(client)
    lead = await assigned_lead(client, kafka, topic_prefix)
    await _work(client, lead["id"])
    (assignment,) = (await lead_now(client, lead["id"]))["assignments"]
    await _unarm(database_url, uuid.UUID(assignment["id"]))
    before = await _salesperson_row(client, lead["owner_id"])

    checked = await _checker(app).run_once()
    again = await _checker(app).run_once()
    (armed,) = (await lead_now(client, lead["id"]))["assignments"]
    after = await _salesperson_row(client, lead["owner_id"])

    assert (before["sla_met"], before["sla_hit_rate"]) == (0, None)
    assert (checked.armed, again.armed) == (1, 0)
    assert (armed["accept_due_at"], armed["touch_due_at"]) == (
        assignment["accept_due_at"],
        assignment["touch_due_at"],
    )
    assert (after["sla_met"], after["sla_missed"], after["sla_hit_rate"]) == (2, 0, 1.0)


def _checker(app: FastAPI) -> CheckServiceLevels:
    found: CheckServiceLevels = parts_of(app).get(CheckServiceLevels)
    return found


async def _unarm(database_url: str, assignment_id: uuid.UUID) -> None:
    """As a router before deadlines were set at assignment left a closed lead."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                update(AssignmentRow)
                .where(AssignmentRow.id == assignment_id)
                .values(sla_armed=False, accept_due_at=None, touch_due_at=None)
            )
    finally:
        await engine.dispose()
