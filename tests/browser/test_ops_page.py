"""The ops page in headless Chromium against a running system (scorer, router and
the CRM simulator serving HTTP, on the real broker): it asks for a key, shows the
funnel, topics, dead letters, unassigned queue, SLA breaches and decisions with
the same numbers as the API, and refreshes itself without a reload."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from leadrouter_crm_simulator.app import create_app as create_crm
from leadrouter_router.app import create_app as create_router
from leadrouter_router.settings import OpsSettings, RoutingSettings, SlaSettings
from leadrouter_router.sla.handlers import CheckServiceLevels
from leadrouter_router.state import RouterState
from leadrouter_runtime.parts import parts_of
from leadrouter_schemas import topics
from leadrouter_scorer.app import create_app as create_scorer
from leadrouter_scorer.settings import Settings as ScorerSettings
from leadrouter_scorer.webhooks.config import SourceSettings, WebhookSettings
from tests.router.api_support import ADMIN, READ, READ_KEY, keyed_settings
from tests.support.kafka import produce, service_kafka
from tests.support.servers import serving
from tests.support.waiting import eventually

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

CAMPAIGN = "spring-demo"

# Everything the page shows, read from the DOM as text: what a person sees.
READ_PAGE = """() => {
  const text = (node) => node ? node.textContent.trim() : null;
  const cells = (row) => Object.fromEntries(
    [...row.querySelectorAll("td[data-field]")].map((td) => [td.dataset.field, text(td)]));
  const funnel = (id) => {
    const table = document.getElementById(id);
    return {
      from: table.dataset.from, to: table.dataset.to,
      rows: [...table.querySelectorAll("tbody tr[data-campaign]")].map(cells),
    };
  };
  return {
    refreshes: Number(document.body.dataset.refreshes || 0),
    status: text(document.getElementById("status")),
    keyFormHidden: document.getElementById("key-form").hidden,
    funnelHour: funnel("funnel-hour"),
    funnelDay: funnel("funnel-day"),
    partitions: [...document.querySelectorAll("#topics tbody tr[data-topic]")].map((tr) => ({
      ...cells(tr), topic: tr.dataset.topic, partition: Number(tr.dataset.partition),
      lag: Object.fromEntries([...tr.querySelectorAll("[data-group]")].map(
        (s) => [s.dataset.group, Number(s.dataset.lag)])),
    })),
    deadLetterCounts: Object.fromEntries(
      [...document.querySelectorAll("#dead-letter-counts li")].map(
        (li) => [li.dataset.topic, Number(text(li.querySelector("[data-field=records]")))])),
    deadLetters: [...document.querySelectorAll("#dead-letters tbody tr[data-topic]")].map(
      (tr) => ({topic: tr.dataset.topic, offset: Number(tr.dataset.offset), ...cells(tr)})),
    unassignedCount: text(document.querySelector("#unassigned [data-field=count]")),
    unassigned: [...document.querySelectorAll("#unassigned tbody tr[data-lead]")].map(
      (tr) => tr.dataset.lead),
    breachCount: text(document.querySelector("#sla-breaches [data-field=count]")),
    dueCount: text(document.querySelector("#sla-due [data-field=count]")),
    dues: [...document.querySelectorAll("#sla-due tbody tr[data-assignment]")].map(
      (tr) => ({assignment: tr.dataset.assignment, ...cells(tr)})),
    breaches: [...document.querySelectorAll("#sla-breaches tbody tr[data-assignment]")].map(
      (tr) => ({assignment: tr.dataset.assignment, ...cells(tr)})),
    decisions: [...document.querySelectorAll("#decisions tbody tr[data-decision]")].map(
      (tr) => ({decision: tr.dataset.decision, lead: tr.dataset.lead, ...cells(tr)})),
  };
}"""


TYPEFORM_SECRET = "ops-typeform-secret"


@dataclass
class System:
    scorer: httpx.AsyncClient
    router: httpx.AsyncClient
    router_url: str
    router_app: FastAPI
    prefix: str


@asynccontextmanager
async def running_system(kafka: str, prefix: str, directory: Path) -> AsyncIterator[System]:
    scorer_settings = ScorerSettings(
        kafka=service_kafka(kafka, prefix, "scorer"),
        accept_unknown_campaigns=True,
        webhooks=WebhookSettings(typeform=SourceSettings(secrets=[SecretStr(TYPEFORM_SECRET)])),
    )
    async with serving(create_crm()) as crm_url:
        router_settings = keyed_settings(
            kafka=kafka,
            prefix=prefix,
            database_url=f"sqlite+aiosqlite:///{directory / 'router.db'}",
            crm_url=f"{crm_url}/assignments",
        ).model_copy(
            update={
                "seed_demo_salespeople": True,
                # The queue stays as the test leaves it; the test drives the SLA clock.
                "routing": RoutingSettings(recheck_interval_s=3600),
                "sla": SlaSettings(check_interval_s=3600),
                "ops": OpsSettings(sample_interval_s=0.5, scorer_group_id=f"{prefix}scorer"),
            }
        )
        router_app = create_router(router_settings)
        async with (
            serving(create_scorer(scorer_settings)) as scorer_url,
            serving(router_app) as router_url,
            httpx.AsyncClient(base_url=scorer_url, timeout=10) as scorer,
            httpx.AsyncClient(base_url=router_url, timeout=10, headers=READ) as router,
        ):
            yield System(scorer, router, router_url, router_app, prefix)


async def post_lead(system: System, *, email: str, correlation_id: str) -> None:
    response = await system.scorer.post(
        "/v1/webhooks/generic",
        json={
            "campaign_id": CAMPAIGN,
            "contact": {"email": email, "job_title": "CTO", "country": "US"},
            "company": {"name": f"Company {correlation_id}"},
            "answers": {"interest": "demo"},
        },
        headers={"X-Correlation-ID": correlation_id},
    )
    assert response.status_code == 202, response.text


async def post_unmappable(system: System) -> None:
    """A signed Typeform request of a shape we cannot map: quarantined, not refused."""
    body = b'{"event_id": "ops-1", "event_type": "form_response"}'
    mac = hmac.new(TYPEFORM_SECRET.encode(), body, hashlib.sha256).digest()
    response = await system.scorer.post(
        "/v1/webhooks/typeform",
        content=body,
        headers={
            "Content-Type": "application/json",
            "Typeform-Signature": "sha256=" + base64.b64encode(mac).decode(),
            "X-Correlation-ID": "ops-quarantined",
        },
    )
    assert response.status_code == 202, response.text
    assert response.json()["quarantined"] is True


async def stored_lead(system: System, correlation_id: str, status: str) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        page = await system.router.get("/v1/leads", params={"correlation_id": correlation_id})
        items: list[dict[str, Any]] = page.json()["items"]
        return items[0] if items and items[0]["status"] == status else None

    return await eventually(found, timeout_s=60, what=f"lead {correlation_id} {status}")


async def set_team_status(system: System, status: str) -> None:
    people = (await system.router.get("/v1/salespeople")).json()["items"]
    for person in people:
        answer = await system.router.patch(
            f"/v1/salespeople/{person['id']}", json={"status": status}, headers=ADMIN
        )
        assert answer.status_code == 200, answer.text


async def make_history(system: System) -> dict[str, Any]:
    """An assigned lead whose SLA is then missed, a rejected lead, a dead letter and
    an unassigned lead: one of everything the page shows."""
    put = await system.router.put(
        f"/v1/campaigns/{CAMPAIGN}",
        json={"name": "Spring demo", "sla": {"accept_within_minutes": 5}},
        headers=ADMIN,
    )
    assert put.status_code in (200, 201), put.text
    await post_lead(system, email="grace@hopper.example", correlation_id="ops-assigned")
    assigned = await stored_lead(system, "ops-assigned", "assigned")
    await post_lead(system, email="not-an-email", correlation_id="ops-rejected")
    await produce(kafka_of(system), system.prefix + topics.LEADS_SCORED, [b"garbage"])
    await post_unmappable(system)

    await set_team_status(system, "paused")
    await post_lead(system, email="ada@engines.example", correlation_id="ops-waiting")
    waiting = await stored_lead(system, "ops-waiting", "unassigned")
    await set_team_status(system, "active")

    checker: CheckServiceLevels = parts_of(system.router_app).get(CheckServiceLevels)
    assigned_at = datetime.fromisoformat(assigned["assignments"][0]["assigned_at"])
    # Deadlines come with the assignment; the new owner's is five minutes from the
    # re-routing.
    assert (await checker.run_once(now=assigned_at)).armed == 0
    assert (await checker.run_once(now=assigned_at + timedelta(minutes=6))).breached == 1
    return {"assigned": assigned, "waiting": waiting}


def kafka_of(system: System) -> str:
    settings = parts_of(system.router_app).get(RouterState).settings
    bootstrap: str = settings.kafka.bootstrap_servers
    return bootstrap


async def page_state(page: Page) -> dict[str, Any]:
    state: dict[str, Any] = await page.evaluate(READ_PAGE)
    return state


async def settled(system: System) -> dict[str, Any]:
    """The topics once nothing moves: two reads a sample apart agree and no group lags."""

    async def still() -> dict[str, Any] | None:
        first = (await system.router.get("/v1/ops/topics")).json()

        async def resampled() -> dict[str, Any] | None:
            later: dict[str, Any] = (await system.router.get("/v1/ops/topics")).json()
            return later if later["sampled_at"] != first["sampled_at"] else None

        second = await eventually(resampled, what="a new topics sample")
        offsets = [[(p["end_offset"], p["lag"]) for p in t["partitions"]] for t in second["topics"]]
        before = [[(p["end_offset"], p["lag"]) for p in t["partitions"]] for t in first["topics"]]
        idle = all(n == 0 for t in second["topics"] for n in t["lag"].values())
        return second if offsets == before and idle else None

    return await eventually(still, timeout_s=60, what="the topics at rest")


@pytest.fixture
async def system(kafka: str, topic_prefix: str, tmp_path: Path) -> AsyncIterator[System]:
    async with running_system(kafka, topic_prefix, tmp_path) as running:
        yield running


async def test_the_ops_page_shows_what_the_api_says_and_follows_new_leads(
    system: System, browser: Browser, tmp_path: Path
) -> None:
    history = await make_history(system)
    page = await browser.new_page(viewport={"width": 1400, "height": 1800})
    await page.goto(f"{system.router_url}/ops?refresh=1")

    # This router has keys: the page asks for one, then shows the data.
    await page.locator("#key").fill(READ_KEY, timeout=30_000)
    await page.locator("#key-form button").click()

    async def live() -> dict[str, Any] | None:
        state = await page_state(page)
        return state if state["status"] == "Live" and state["decisions"] else None

    shown = await eventually(live, what="the page live with data")
    assert shown["keyFormHidden"]
    received_before = _cell(shown["funnelHour"], "received")

    # Live: a new lead appears without a reload.
    await post_lead(system, email="alan@turing.example", correlation_id="ops-live")
    newcomer = await stored_lead(system, "ops-live", "assigned")

    async def followed() -> dict[str, Any] | None:
        state = await page_state(page)
        # (Not necessarily first: the SLA pass ran on a clock moved minutes ahead.)
        decided = newcomer["id"] in {d["lead"] for d in state["decisions"]}
        grown = _cell(state["funnelHour"], "received") == received_before + 1
        return state if decided and grown else None

    await eventually(followed, what="the new lead on the page without a reload")

    # At rest, one more refresh, then every number shown is the API's.
    topics_now = await settled(system)
    refreshes = (await page_state(page))["refreshes"]

    async def refreshed_at_rest() -> dict[str, Any] | None:
        state = await page_state(page)
        return state if state["refreshes"] >= refreshes + 2 else None

    state = await eventually(refreshed_at_rest, what="two refreshes at rest")
    await _compare_funnels(system, state)
    _compare_topics(state, topics_now)
    await _compare_lists(system, state, history)

    screenshot = Path(os.environ.get("LEADROUTER_OPS_SCREENSHOT") or tmp_path / "ops.png")
    await page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000


def _cell(funnel: dict[str, Any], field: str) -> int:
    rows = [r for r in funnel["rows"] if r["campaign_id"] == CAMPAIGN]
    return int(rows[0][field]) if rows else 0


async def _compare_funnels(system: System, state: dict[str, Any]) -> None:
    for shown in (state["funnelHour"], state["funnelDay"]):
        report = (
            await system.router.get(
                "/v1/reports/funnel", params={"from": shown["from"], "to": shown["to"]}
            )
        ).json()
        expected = {c["campaign_id"]: c for c in report["campaigns"]}
        assert sorted(r["campaign_id"] for r in shown["rows"]) == sorted(expected)
        for row in shown["rows"]:
            api = expected[row["campaign_id"]]
            counts = {k: v for k, v in row.items() if k not in ("campaign_id", "time_to_assign")}
            assert counts, row
            assert {k: int(v) for k, v in counts.items()} == {k: api[k] for k in counts}
    row = next(r for r in state["funnelDay"]["rows"] if r["campaign_id"] == CAMPAIGN)
    assert int(row["assigned"]) == 2  # the SLA's lead (twice assigned) and the live one


def _compare_topics(state: dict[str, Any], api: dict[str, Any]) -> None:
    expected = {
        (t["topic"], p["partition"]): (str(p["end_offset"]), p["lag"])
        for t in api["topics"]
        for p in t["partitions"]
    }
    shown = {(p["topic"], p["partition"]): (p["end_offset"], p["lag"]) for p in state["partitions"]}
    assert shown == expected
    prefix = api["topics"][0]["topic"].removesuffix(topics.LEADS_RECEIVED)
    received = sum(
        int(p["end_offset"])
        for p in state["partitions"]
        if p["topic"] == prefix + topics.LEADS_RECEIVED
    )
    assert received == 4  # every lead the webhook accepted


async def _compare_lists(system: System, state: dict[str, Any], history: dict[str, Any]) -> None:
    letters = (await system.router.get("/v1/ops/dead-letters")).json()
    assert state["deadLetterCounts"] == {t["topic"]: t["records"] for t in letters["topics"]}
    assert [(d["topic"], d["offset"], d["reason"]) for d in state["deadLetters"]] == [
        (d["topic"], d["offset"], d["reason"]) for d in letters["items"]
    ]
    assert sorted(d["preview"] for d in state["deadLetters"]) == [
        "garbage",
        '{"event_id": "ops-1", "event_type": "form_response"}',
    ]
    # The quarantine is counted among the dead letters.
    assert state["deadLetterCounts"][system.prefix + topics.WEBHOOKS_QUARANTINE] == 1

    queue = (await system.router.get("/v1/leads", params={"status": "unassigned"})).json()
    assert state["unassignedCount"] == str(len(queue["items"])) == "1"
    assert state["unassigned"] == [history["waiting"]["id"]]

    breaches = (await system.router.get("/v1/ops/sla-breaches")).json()
    assert state["breachCount"] == str(len(breaches["items"])) == "1"
    (breach,) = state["breaches"]
    assert breach["assignment"] == history["assigned"]["assignments"][0]["id"]
    assert breach["missed_by"] == breaches["items"][0]["missed_by_name"]
    assert breach["owner_now"] == breaches["items"][0]["owner_now_name"]

    dues = (await system.router.get("/v1/ops/sla-due", params={"within_minutes": 60})).json()
    # Due: the re-routed lead's new owner and the live lead (deadlines are set at
    # assignment).
    assert state["dueCount"] == str(len(dues["items"])) == "2"
    assert [d["assignment"] for d in state["dues"]] == [d["assignment_id"] for d in dues["items"]]
    for due, api_due in zip(state["dues"], dues["items"], strict=True):
        assert (due["salesperson"], due["target"]) == (api_due["salesperson_name"], "accept")
        assert due["due_at"].startswith("in ")

    decisions = (await system.router.get("/v1/ops/decisions", params={"limit": 20})).json()
    assert [d["decision"] for d in state["decisions"]] == [
        d["decision_id"] for d in decisions["items"]
    ]
    for shown, api in zip(state["decisions"], decisions["items"], strict=True):
        assert shown["reason"] == f"{api['reason']} record"
        assert shown["outcome"] == api["outcome"]
        assert shown["salesperson"] == (api["salesperson_name"] or "\N{EN DASH}")
