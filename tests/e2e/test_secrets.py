"""No secret leaves where it belongs (issue 11): the whole system (scorer, router, CRM
simulator as processes, the real broker, PostgreSQL with a password in its URL) runs
with a distinctive value for every secret it is configured with; a lead of every
platform (signed with that platform's secret, Meta's read with the page token) is
carried to the CRM and accepted, and then no log line, `/metrics` page, API answer
(body or headers) or Kafka record (value or header, every topic) holds any of them."""

import base64
import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr

from leadrouter_runtime import standard_webhooks
from leadrouter_schemas.topics import TOPICS
from tests.e2e.conftest import running_system, system_ready
from tests.support.corpus import Case, all_cases
from tests.support.kafka import read_all
from tests.support.servers import serving
from tests.support.waiting import eventually

PLATFORMS = ("hubspot", "typeform", "google-ads", "facebook", "unbounce", "mailchimp")
CAMPAIGN = "secrets"


def distinctive(name: str) -> str:
    return f"sekrit-{name}-{uuid.uuid4().hex[:12]}"


def whsec(name: str) -> tuple[str, str]:
    """A Standard Webhooks secret and the distinctive key inside it."""
    raw = distinctive(name)
    return "whsec_" + base64.b64encode(raw.encode()).decode(), raw


@pytest.fixture
async def graph() -> AsyncIterator[tuple[str, dict[str, Any], str]]:
    """The Graph API for the Meta case: answers only with the page token as a bearer."""
    token = distinctive("meta-page-token")
    leads = {k: v for case in _cases() for k, v in case.graph.items()}
    app = FastAPI()

    @app.get("/{version}/{leadgen_id}")
    async def lead(version: str, leadgen_id: str, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {token}":
            return JSONResponse({"error": {"message": "Invalid OAuth access token"}}, 400)
        return JSONResponse(leads.get(leadgen_id, {"error": "unknown"}))

    async with serving(app) as url:
        yield url, leads, token


def _cases() -> list[Case]:
    """One documented payload a platform, each carrying a lead."""
    chosen: dict[str, Case] = {}
    for case in all_cases():
        if case.source in PLATFORMS and case.leads and case.status == 202:
            chosen.setdefault(case.source, case)
    return [chosen[name] for name in PLATFORMS if name in chosen]


class Recorded:
    """Every answer a client got: what an API caller could see."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    async def __call__(self, response: httpx.Response) -> None:
        await response.aread()
        self.texts.append(response.text)
        self.texts.extend(f"{name}: {value}" for name, value in response.headers.items())


async def test_no_secret_reaches_a_log_a_metric_an_answer_or_a_topic(
    kafka: str,
    topic_prefix: str,
    postgres_url: str,
    tmp_path: Path,
    graph: tuple[str, dict[str, Any], str],
) -> None:
    graph_url, _, page_token = graph
    generic_secret, generic_key = whsec("generic")
    crm_secret, crm_key = whsec("crm-signing")
    secrets = {f"webhook-{name}": distinctive(f"webhook-{name}") for name in PLATFORMS}
    secrets |= {
        "meta-verify-token": distinctive("meta-verify-token"),
        "admin-key": distinctive("admin-key"),
        "crm-key": distinctive("crm-key"),
        "read-key": distinctive("read-key"),
        "crm-token": distinctive("crm-token"),
        "manager-token": distinctive("manager-token"),
        "db-password": distinctive("db-password"),
        "linkedin-secret": distinctive("linkedin-secret"),
        "linkedin-token": distinctive("linkedin-token"),
        "hubspot-token": distinctive("hubspot-token"),
    }
    everything = {
        **secrets,
        "meta-page-token": page_token,
        "generic-secret": generic_secret,
        "generic-key": generic_key,
        "crm-secret": crm_secret,
        "crm-key-raw": crm_key,
    }
    user, _, rest = postgres_url.partition("@")
    database = f"{user}:{secrets['db-password']}@{rest}"  # trust auth: accepted, unused
    keys = [
        {"name": "ops", "key": secrets["admin-key"], "scope": "admin"},
        {"name": "crm", "key": secrets["crm-key"], "scope": "crm"},
        {"name": "dashboard", "key": secrets["read-key"], "scope": "read"},
    ]
    scorer_env = {
        f"SCORER_WEBHOOKS__{name.upper().replace('-', '_')}__SECRETS": json.dumps(
            [secrets[f"webhook-{name}"]]
        )
        for name in PLATFORMS
    } | {
        "SCORER_WEBHOOKS__GENERIC__SECRETS": json.dumps([generic_secret]),
        "SCORER_WEBHOOKS__FACEBOOK__ACCESS_TOKEN": page_token,
        "SCORER_WEBHOOKS__FACEBOOK__VERIFY_TOKEN": secrets["meta-verify-token"],
        "SCORER_WEBHOOKS__FACEBOOK__GRAPH_BASE_URL": graph_url,
        # Configured, so that a settings dump or an error would show them; their
        # API calls are followed in the platform corpus (token in headers only).
        "SCORER_WEBHOOKS__LINKEDIN__SECRETS": json.dumps([secrets["linkedin-secret"]]),
        "SCORER_WEBHOOKS__LINKEDIN__ACCESS_TOKEN": secrets["linkedin-token"],
        "SCORER_WEBHOOKS__HUBSPOT__ACCESS_TOKEN": secrets["hubspot-token"],
        "SCORER_LOG__LEVEL": "DEBUG",
    }
    router_env = {
        "ROUTER_AUTH__API_KEYS": json.dumps(keys),
        "ROUTER_CRM__TOKEN": secrets["crm-token"],
        "ROUTER_CRM__SIGNING_SECRETS": json.dumps([crm_secret]),
        "ROUTER_SLA__MANAGER_WEBHOOK_TOKEN": secrets["manager-token"],
        "ROUTER_LOG__LEVEL": "DEBUG",
    }
    recorded = Recorded()
    with running_system(
        kafka,
        topic_prefix,
        database,
        tmp_path,
        router_env=router_env | {"ROUTER_SLA__MANAGER_WEBHOOK_URL": "http://127.0.0.1:9/m"},
        scorer_env=scorer_env,
        crm_env={"CRM_SIMULATOR_SIGNING_SECRET": crm_secret},
    ) as system:
        async with httpx.AsyncClient(timeout=15, event_hooks={"response": [recorded]}) as http:
            await _run(http, system, secrets, generic_secret)
            for name in ("scorer", "router"):
                await http.get(f"{system[name]}/metrics")
    logs = {path.name: path.read_text() for path in tmp_path.glob("*.log")}
    records = {t.name: await read_all(kafka, topic_prefix + t.name) for t in TOPICS}

    found = []
    for name, value in everything.items():
        for log_name, text in logs.items():
            found += [f"{name} in {log_name}" for line in text.splitlines() if value in line]
        found += [f"{name} in an API answer" for text in recorded.texts if value in text]
        for topic, topic_records in records.items():
            for record in topic_records:
                parts = [record.key or b"", record.value or b""]
                parts += [bytes(v) for _, v in record.headers]
                if any(value.encode() in part for part in parts):
                    found.append(f"{name} on {topic}")
    assert sum(len(r) for r in records.values()) >= 6, "the run wrote to the topics"
    assert not found, sorted(set(found))


async def _run(
    http: httpx.AsyncClient, system: dict[str, str], secrets: dict[str, str], generic: str
) -> None:
    admin = {"X-API-Key": secrets["admin-key"]}
    await system_ready(http, system)
    campaign = await http.put(
        f"{system['router']}/v1/campaigns/{CAMPAIGN}",
        json={"name": "Secrets", "criteria": {"required_fields": []}},
        headers=admin,
    )
    assert campaign.status_code in (200, 201), campaign.text
    body = json.dumps(
        {
            "campaign_id": CAMPAIGN,
            "external_id": "secrets-generic-1",
            "contact": {"email": "grace@hopper.example", "country": "US", "job_title": "CTO"},
        }
    ).encode()
    signed = standard_webhooks.headers(
        [SecretStr(generic)], webhook_id="msg_secrets_1", timestamp=_now(), body=body
    )
    generic_answer = await http.post(
        f"{system['scorer']}/v1/webhooks/generic",
        content=body,
        headers={"Content-Type": "application/json", **signed},
    )
    assert generic_answer.status_code == 202, generic_answer.text
    for case in _cases():
        path = f"/v1/webhooks/{case.source}"
        url = f"{system['scorer']}{path}?campaign_id={CAMPAIGN}"
        signed_body, headers, query = case.sign(secrets[f"webhook-{case.source}"], url)
        answer = await http.post(
            system["scorer"] + path,
            params={"campaign_id": CAMPAIGN, **query},
            content=signed_body,
            headers=headers,
        )
        assert answer.status_code == 202, f"{case.name}: {answer.text}"
    # Wrong credentials are refused without echoing anything.
    assert (
        await http.get(f"{system['router']}/v1/leads", headers=admin | {"X-API-Key": "x" * 20})
    ).status_code == 401
    verified = await http.get(
        f"{system['scorer']}/v1/webhooks/facebook",
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": secrets["meta-verify-token"],
            "hub.challenge": "1158201444",
        },
    )
    assert verified.status_code == 200, verified.text

    async def assigned() -> dict[str, Any] | None:
        page = await http.get(
            f"{system['router']}/v1/leads", params={"campaign_id": CAMPAIGN}, headers=admin
        )
        items: list[dict[str, Any]] = page.json()["items"]
        done = [item for item in items if item["assignments"]]
        return done[0] if len(done) >= 2 else None

    lead = await eventually(assigned, timeout_s=90, what="leads assigned")

    # The CRM is where the CRM token belongs: read with a client of its own.
    async with httpx.AsyncClient(timeout=15) as crm:

        async def delivered() -> list[dict[str, Any]] | None:
            requests: list[dict[str, Any]] = (await crm.get(f"{system['crm']}/requests")).json()
            return requests or None

        requests = await eventually(delivered, timeout_s=60, what="the CRM reached")
    assert secrets["crm-token"] in json.dumps(requests)  # it was sent where it belongs
    accepted = await http.post(
        f"{system['router']}/v1/leads/{lead['id']}/accept",
        json={"event_id": "secrets-accept-1"},
        headers={"X-API-Key": secrets["crm-key"]},
    )
    assert accepted.status_code == 200, accepted.text
    exported = await http.get(f"{system['router']}/v1/config", headers=admin)
    assert exported.status_code == 200
    for path in ("/v1/ops/dead-letters", "/v1/ops/topics", "/v1/deliveries"):
        await http.get(f"{system['router']}{path}", headers={"X-API-Key": secrets["read-key"]})


def _now() -> int:
    return int(time.time())
