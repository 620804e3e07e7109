"""The event contract as a reader of another team sees it: after a full pipeline run
(a campaign saved, a lead scored, assigned and accepted, a lead rejected, garbage on
three topics), a plain aiokafka consumer (no project code reads the records) reads
every declared topic and checks each record's headers against the declaration in
``leadrouter_schemas.topics``."""

import json
import re
from pathlib import Path
from typing import Any

import httpx
from aiokafka import ConsumerRecord

from leadrouter_schemas.topics import TOPICS, Topic
from tests.e2e.conftest import running_system, system_ready
from tests.support.kafka import produce, read_all
from tests.support.waiting import eventually

ADMIN = {"X-API-Key": "admin-key-for-the-wire-test"}
CRM = {"X-API-Key": "crm-key-for-the-wire-test-000"}
# Personal data in garbage: it must not reappear in any dead-letter header.
SECRET = b"grace.private@example.com"
GARBAGE = b'{"contact": {"email": "' + SECRET + b'"}, oops'

# What the run below puts on each topic, at least.
EXPECTED = {
    "leads.received": 3,  # two webhook leads and the garbage
    "leads.scored": 2,  # one lead and the garbage
    "leads.rejected": 2,  # one lead and the garbage
    "leads.assigned": 1,
    "leads.outcomes": 1,
    "config.campaigns": 1,
    "leads.received.dlq": 1,
    "leads.scored.dlq": 1,
    "leads.rejected.dlq": 1,
}


def text_headers(record: ConsumerRecord[bytes, bytes]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in record.headers:
        found.setdefault(name, []).append(bytes(value).decode())
    return found


def header_problems(topic: Topic, headers: dict[str, list[str]], where: str) -> list[str]:
    """Each header the topic declares present once, matching its pattern if it has one."""
    problems = []
    for header in topic.headers:
        values = headers.get(header.name, [])
        if len(values) != 1:
            problems.append(f"{where}: {header.name} {len(values)} times")
        elif header.pattern and not re.fullmatch(header.pattern, values[0]):
            problems.append(f"{where}: {header.name}={values[0]!r} not {header.pattern}")
    return problems


def check_event_record(topic: Topic, record: ConsumerRecord[bytes, bytes]) -> list[str]:
    """What is wrong with one event record, by the declaration (empty: nothing)."""
    where = f"{record.topic}@{record.partition}:{record.offset}"
    headers = text_headers(record)
    problems = header_problems(topic, headers, where)
    if problems or not topic.events or "event-type" not in headers:
        return problems  # a topic of raw payloads has no envelope to compare with
    body = json.loads(record.value)
    declared = dict(topic.event_types())
    (event_type,), (version,) = headers["event-type"], headers["schema-version"]
    if declared.get(event_type) != int(version):
        problems.append(f"{where}: {event_type} v{version} is not declared ({declared})")
    if (body["type"], body["schema_version"]) != (event_type, int(version)):
        problems.append(f"{where}: headers say {event_type} v{version}, the body otherwise")
    if headers["event-id"] != [body["event_id"]]:
        problems.append(f"{where}: event-id differs from the body's")
    if headers["correlation-id"] != [body["correlation_id"]]:
        problems.append(f"{where}: correlation-id differs from the body's")
    if not record.key:
        problems.append(f"{where}: no key ({topic.key})")
    return problems


def check_dead_letter(topic: Topic, record: ConsumerRecord[bytes, bytes], prefix: str) -> list[str]:
    where = f"{record.topic}@{record.offset}"
    headers = text_headers(record)
    problems = header_problems(topic, headers, where)
    if headers.get("dlq-source-topic") != [f"{prefix}{topic.dead_letter_of}"]:
        problems.append(f"{where}: dlq-source-topic {headers.get('dlq-source-topic')}")
    leaked = [n for n, v in record.headers if n.startswith("dlq-") and SECRET in bytes(v)]
    if leaked:
        problems.append(f"{where}: input bytes in {leaked}")
    if record.value != GARBAGE:
        problems.append(f"{where}: the value is not the original record")
    return problems


async def test_every_record_on_every_topic_carries_the_declared_headers(
    kafka: str, topic_prefix: str, tmp_path: Path
) -> None:
    keys = json.dumps(
        [
            {"name": "ops", "key": ADMIN["X-API-Key"], "scope": "admin"},
            {"name": "crm", "key": CRM["X-API-Key"], "scope": "crm"},
        ]
    )
    database = f"sqlite+aiosqlite:///{tmp_path / 'router.db'}"
    with running_system(
        kafka, topic_prefix, database, tmp_path, router_env={"ROUTER_AUTH__API_KEYS": keys}
    ) as system:
        async with httpx.AsyncClient(timeout=10) as http:
            await pipeline_run(http, system)
        for name in ("leads.received", "leads.scored", "leads.rejected"):
            await produce(kafka, topic_prefix + name, [GARBAGE], key=b"email:garbage")

        async def everything() -> dict[str, list[ConsumerRecord[bytes, bytes]]] | None:
            found = {t.name: await read_all(kafka, topic_prefix + t.name) for t in TOPICS}
            enough = all(len(found.get(name, ())) >= count for name, count in EXPECTED.items())
            return found if enough else None

        found = await eventually(everything, timeout_s=60, what="every topic written")

    assert set(EXPECTED) <= {t.name for t in TOPICS}
    problems = []
    for topic in TOPICS:
        for record in found[topic.name]:
            if topic.dead_letter_of:
                problems += check_dead_letter(topic, record, topic_prefix)
            elif record.value != GARBAGE:  # what we produced by hand carries no headers
                problems += check_event_record(topic, record)
    assert not problems, "\n".join(problems)
    # Exactly what the run made, no more (a topic declared later is header-checked above).
    counted = {name: len(found[name]) for name in EXPECTED}
    assert counted == EXPECTED, counted


async def pipeline_run(http: httpx.AsyncClient, system: dict[str, str]) -> None:
    await system_ready(http, system)

    campaign = await http.post(
        f"{system['router']}/v1/campaigns",
        json={"campaign_id": "wire-demo", "name": "Wire demo"},
        headers=ADMIN,
    )
    assert campaign.status_code == 201, campaign.text
    for correlation_id, contact in (
        ("wire-ok", {"email": "grace@example.com", "job_title": "CTO", "country": "US"}),
        ("wire-bad", {"email": "not-an-email", "country": "DE"}),
    ):
        accepted = await http.post(
            f"{system['scorer']}/v1/webhooks/generic",
            json={"campaign_id": "wire-demo", "contact": contact, "answers": {"interest": "demo"}},
            headers={"X-Correlation-ID": correlation_id},
        )
        assert accepted.status_code == 202, accepted.text

    async def assigned() -> dict[str, Any] | None:
        page = await http.get(f"{system['router']}/v1/leads?correlation_id=wire-ok", headers=ADMIN)
        items: list[dict[str, Any]] = page.json()["items"]
        return items[0] if items and items[0]["assignments"] else None

    lead = await eventually(assigned, timeout_s=60, what="the lead assigned")
    accepted = await http.post(
        f"{system['router']}/v1/leads/{lead['id']}/accept",
        json={"event_id": "wire-accept-1"},
        headers=CRM,
    )
    assert accepted.status_code == 200, accepted.text
