"""Every documented platform payload (``tests/fixtures/platforms``, sources in its
SOURCES.md), posted with the platform's own signature to the running system (scorer,
router and CRM simulator as processes, the real broker): it is accepted, and the
contact, company and answers it carries reach the CRM, field by field, once.

One system serves many cases (``tests.support.corpus.pipeline_groups``): cases that
share a lead id get a system of their own, since a second delivery of an id is
rightly a redelivery. The systems start side by side, once for the module.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from leadrouter_runtime.topics import delete_topics, ensure_topics, load_specs
from tests.conftest import TOPICS_FILE
from tests.e2e.conftest import router_process
from tests.support.corpus import Case, all_cases, pipeline_groups
from tests.support.servers import ServiceProcess, free_port, serving
from tests.support.waiting import eventually

CASES = all_cases()
GROUPS = pipeline_groups(CASES)
GROUP_OF = {case.name: number for number, group in enumerate(GROUPS) for case in group}
SECRET = "corpus-webhook-secret"
ACCESS_TOKEN = "corpus-page-access-token"
ADMIN_KEY = "corpus-admin-key-0123456789"
CAMPAIGN = "corpus"
SOURCES = ("HUBSPOT", "TYPEFORM", "GOOGLE_ADS", "FACEBOOK", "UNBOUNCE", "MAILCHIMP", "LINKEDIN")
LINKEDIN_VERSION = "202601"


@dataclass
class Graph:
    """Plays the Graph API for the Meta cases (each lead as documented), and the other
    platforms' APIs by path: LinkedIn's Lead Sync API (``/rest/...``, with its
    documented headers), HubSpot's CRM API."""

    leads: dict[str, dict[str, Any]] = field(default_factory=dict)
    api: dict[str, dict[str, Any]] = field(default_factory=dict)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/{version}/{leadgen_id}")
        async def lead(version: str, leadgen_id: str, request: Request) -> JSONResponse:
            token = request.query_params.get("access_token") or request.headers.get(
                "authorization", ""
            ).removeprefix("Bearer ")
            if token != ACCESS_TOKEN or leadgen_id not in self.leads:
                return JSONResponse({"error": {"message": "Unknown", "code": 100}}, 400)
            return JSONResponse(self.leads[leadgen_id])

        @app.get("/{path:path}")
        async def platform_api(path: str, request: Request) -> JSONResponse:
            answer = self.api.get(f"/{path}")
            token = request.headers.get("authorization", "").removeprefix("Bearer ")
            if token != ACCESS_TOKEN or request.query_params.get("access_token"):
                return JSONResponse({"status": 401, "message": "Invalid access token"}, 401)
            if path.startswith("rest/") and (
                request.headers.get("linkedin-version") != LINKEDIN_VERSION
                or request.headers.get("x-restli-protocol-version") != "2.0.0"
            ):
                return JSONResponse({"status": 426, "message": "Version missing"}, 426)
            if path.startswith("crm/") and not request.query_params.get("properties"):
                # Without ?properties= the CRM API answers a few default properties only.
                return JSONResponse({"status": "error", "message": "properties expected"}, 400)
            if answer is None:
                return JSONResponse({"status": 404, "message": "Not found"}, 404)
            return JSONResponse(answer)

        return app


@dataclass
class System:
    scorer: str
    router: str
    crm: str


@pytest.fixture(scope="module")
async def corpus(
    kafka: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[list[System]]:
    """Every group's system (``GROUPS``), started side by side rather than one after
    the other: a system's start is mostly waiting (readiness, the campaign reaching
    the scorer). If one fails to start, the others are stopped."""
    async with AsyncExitStack() as stack:
        async with asyncio.TaskGroup() as starting:
            started = [
                starting.create_task(
                    stack.enter_async_context(
                        _system(kafka, group, tmp_path_factory.mktemp("corpus"))
                    )
                )
                for group in GROUPS
            ]
        yield [task.result() for task in started]


@asynccontextmanager
async def _system(kafka: str, group: list[Case], logs: Path) -> AsyncIterator[System]:
    prefix = f"t{uuid.uuid4().hex[:12]}."
    created = await ensure_topics(kafka, load_specs(TOPICS_FILE), prefix=prefix)
    graph = Graph(
        {k: v for case in group for k, v in case.graph.items()},
        {k: v for case in group for k, v in case.api.items()},
    )
    ports = {name: free_port() for name in ("scorer", "router", "crm")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    kafka_env = {"BOOTSTRAP_SERVERS": kafka, "TOPIC_PREFIX": prefix}
    processes: list[ServiceProcess] = []
    async with serving(graph.app()) as graph_url, httpx.AsyncClient(timeout=10) as http:
        try:
            crm = ServiceProcess(
                "leadrouter_crm_simulator",
                {"CRM_SIMULATOR_PORT": str(ports["crm"])},
                logs / "crm.log",
            )
            processes.append(crm)
            api_keys = f'[{{"name": "corpus", "key": "{ADMIN_KEY}", "scope": "admin"}}]'
            router = router_process(
                ports,
                urls,
                kafka_env,
                db=f"sqlite+aiosqlite:///{logs / 'router.db'}",
                logs=logs,
                env={"ROUTER_AUTH__API_KEYS": api_keys},
            )
            processes.append(router)
            scorer = ServiceProcess(
                "leadrouter_scorer",
                {
                    "SCORER_HTTP__PORT": str(ports["scorer"]),
                    "SCORER_KAFKA__GROUP_ID": f"{prefix}scorer",
                    "SCORER_LOG__JSON": "true",
                    **{f"SCORER_WEBHOOKS__{s}__SECRETS": f'["{SECRET}"]' for s in SOURCES},
                    "SCORER_WEBHOOKS__FACEBOOK__ACCESS_TOKEN": ACCESS_TOKEN,
                    "SCORER_WEBHOOKS__FACEBOOK__GRAPH_BASE_URL": graph_url,
                    "SCORER_WEBHOOKS__LINKEDIN__ACCESS_TOKEN": ACCESS_TOKEN,
                    "SCORER_WEBHOOKS__HUBSPOT__ACCESS_TOKEN": ACCESS_TOKEN,
                    "SCORER_WEBHOOKS__HUBSPOT__API_BASE_URL": graph_url,
                    "SCORER_WEBHOOKS__LINKEDIN__API_BASE_URL": graph_url,
                    "SCORER_WEBHOOKS__LINKEDIN__API_VERSION": LINKEDIN_VERSION,
                    **{f"SCORER_KAFKA__{k}": v for k, v in kafka_env.items()},
                },
                logs / "scorer.log",
            )
            processes.append(scorer)
            await crm.wait_ready(f"{urls['crm']}/healthz", timeout_s=180)
            await router.wait_ready(f"{urls['router']}/readyz", timeout_s=180)
            # The documented samples are test data (test@example.com, "John Doe"): the
            # corpus campaign checks nothing, so that every mapped field can be followed
            # to the CRM.
            created_campaign = await http.put(
                f"{urls['router']}/v1/campaigns/{CAMPAIGN}",
                headers={"X-API-Key": ADMIN_KEY},
                json={
                    "name": "Documented platform payloads",
                    "criteria": {
                        "required_fields": [],
                        "reject_disposable_email": False,
                        "consent": {"countries": []},
                        "spam": {
                            "honeypot_fields": [],
                            "test_values": [],
                            "min_submit_seconds": None,
                        },
                    },
                },
            )
            assert created_campaign.status_code == 200, created_campaign.text
            await scorer.wait_ready(f"{urls['scorer']}/readyz", timeout_s=180)

            async def campaign_followed() -> bool:
                # The scorer logs each campaign it learns from config.campaigns.
                return any(
                    '"campaigns.configured"' in line and f'"{CAMPAIGN}"' in line
                    for line in (logs / "scorer.log").read_text().splitlines()
                )

            await eventually(campaign_followed, timeout_s=60, what="the scorer has the campaign")
            yield System(scorer=urls["scorer"], router=urls["router"], crm=urls["crm"])
        finally:
            for process in reversed(processes):
                process.stop()
            await delete_topics(kafka, created)


def _crm_leads(requests: list[dict[str, Any]], lead_keys: set[str]) -> list[dict[str, Any]]:
    return [
        r["body"]["data"]["lead"]
        for r in requests
        if r["body"].get("data", {}).get("lead", {}).get("lead_key") in lead_keys
    ]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_documented_payload_reaches_the_crm_field_by_field_once(
    case: Case, corpus: list[System]
) -> None:
    system = corpus[GROUP_OF[case.name]]
    path = f"/v1/webhooks/{case.source}"
    url = f"{system.scorer}{path}?campaign_id={CAMPAIGN}"
    body, headers, query = case.sign(SECRET, url)
    async with httpx.AsyncClient(timeout=15) as http:
        answer = await http.post(
            system.scorer + path,
            params={"campaign_id": CAMPAIGN, **query},
            content=body,
            headers=headers,
        )
        assert answer.status_code == case.status, answer.text
        if not case.leads:
            return
        accepted = {lead["lead_key"] for lead in answer.json()["leads"]}
        assert accepted == case.accepted

        async def delivered() -> list[dict[str, Any]] | None:
            requests: list[dict[str, Any]] = (await http.get(f"{system.crm}/requests")).json()
            found = [_crm_leads(requests, lead.keys) for lead in case.leads]
            return requests if all(found) else None

        requests = await eventually(delivered, timeout_s=60, what=f"{case.name} in the CRM")
    for expected in case.leads:
        (lead,) = _crm_leads(requests, expected.keys)  # exactly once
        assert lead["campaign_id"] == CAMPAIGN
        for part in ("contact", "company", "answers"):
            wanted: dict[str, Any] = getattr(expected, part)
            got = {name: lead[part].get(name) for name in wanted}
            assert got == wanted, f"{expected.lead_key} {part}"
        # The payload as received travels with the lead, so nothing is lost.
        assert lead["raw"]
