"""What every party saw, read at the end: the router's database, the topics (read
whole, from the beginning) and the CRM's ledger. Reading only; nothing is judged here."""

import json
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from leadrouter_chaos.checker import (
    Acked,
    CrmRequest,
    Observations,
    RouterAssignment,
    RouterLead,
    TopicAssignment,
)
from leadrouter_chaos.faults import rows
from leadrouter_chaos.system import System
from leadrouter_runtime.retries import paced
from leadrouter_schemas import topics

LEDGER_PAGE = 5000


async def observe(system: System, http: httpx.AsyncClient, acked: Sequence[Acked]) -> Observations:
    dsn = system.postgres.dsn
    leads = await rows(
        dsn,
        "SELECT id::text AS id, correlation_id, status, owner_id::text AS owner_id FROM leads",
    )
    assignments = await rows(
        dsn,
        "SELECT id::text AS id, lead_id::text AS lead_id,"
        " salesperson_id::text AS salesperson_id, assigned_at, stage FROM assignments",
    )
    pending = await rows(dsn, "SELECT count(*) AS n FROM outbox WHERE status = 'pending'")
    layout = await partitions(system.broker.bootstrap)
    wanted = {topics.LEADS_REJECTED, topics.LEADS_ASSIGNED}
    records = await read_topics(
        system.broker.bootstrap,
        {
            name: numbers
            for name, numbers in layout.items()
            if name in wanted or name.endswith(topics.DLQ_SUFFIX) or "quarantine" in name
        },
    )
    rejected: dict[str, set[str]] = defaultdict(set)
    for value, _ in records.get(topics.LEADS_REJECTED, []):
        event = json.loads(value)
        rejected[event["correlation_id"]].add(event["event_id"])
    assigned = []
    for value, _ in records.get(topics.LEADS_ASSIGNED, []):
        data = json.loads(value)
        assigned.append(
            TopicAssignment(
                data["data"]["lead_id"], data["data"]["assignment_id"], data["event_id"]
            )
        )
    dead: dict[str, int] = defaultdict(int)
    quarantined: dict[str, int] = defaultdict(int)
    for name, found in records.items():
        into = quarantined if "quarantine" in name else dead
        if name.endswith(topics.DLQ_SUFFIX) or "quarantine" in name:
            for value, headers in found:
                into[_correlation_id(value, headers)] += 1
    return Observations(
        acked=acked,
        leads=[RouterLead(r["id"], r["correlation_id"], r["status"], r["owner_id"]) for r in leads],
        assignments=[
            RouterAssignment(
                r["id"], r["lead_id"], r["salesperson_id"], r["assigned_at"], r["stage"]
            )
            for r in assignments
        ],
        crm=await crm_ledger(system.crm_url, http),
        assigned_topic=assigned,
        rejected=rejected,
        dead_letters=dead,
        quarantined=quarantined,
        outbox_pending=pending[0]["n"] if pending else -1,
    )


def _correlation_id(value: bytes | None, headers: Sequence[tuple[str, bytes]]) -> str:
    for name, raw in headers:
        if name == "correlation-id":
            return raw.decode(errors="replace")
    try:
        event: Any = json.loads(value or b"")
        return str(event["correlation_id"])
    except (ValueError, KeyError, TypeError):
        return "?"


async def crm_ledger(crm_url: str, http: httpx.AsyncClient) -> list[CrmRequest]:
    ledger: list[CrmRequest] = []
    while True:
        answer = await _get(http, f"{crm_url}/ledger", offset=len(ledger), limit=LEDGER_PAGE)
        page = answer.json()
        ledger += [
            CrmRequest(
                seq=e["seq"],
                lead_id=e["lead_id"],
                assignment_id=e["assignment_id"],
                salesperson_id=e["salesperson_id"],
                idempotency_key=e["idempotency_key"],
                recorded=e["recorded"],
            )
            for e in page
        ]
        if len(page) < LEDGER_PAGE:
            return ledger


async def _get(http: httpx.AsyncClient, url: str, **params: int) -> httpx.Response:
    async for attempt in paced(httpx.TransportError, attempts=5, pause_s=0.5):
        with attempt:
            answer = await http.get(url, params=params, timeout=30)
    answer.raise_for_status()
    return answer


async def partitions(bootstrap: str) -> dict[str, list[int]]:
    """Every topic of the broker and its partitions."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = await admin.list_topics()
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    return {d["topic"]: sorted(p["partition"] for p in d["partitions"]) for d in described}


Record = tuple[bytes, list[tuple[str, bytes]]]


async def read_topics(
    bootstrap: str, layout: Mapping[str, Sequence[int]], *, timeout_s: float = 120
) -> dict[str, list[Record]]:
    """Every record of each topic up to its end now, per partition in offset order."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    try:
        tps = [TopicPartition(name, p) for name, numbers in layout.items() for p in numbers]
        if not tps:
            return {}
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        found: dict[str, list[Record]] = defaultdict(list)
        deadline = time.monotonic() + timeout_s
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"topics not read to their end in {timeout_s}s")
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            for tp, batch in batches.items():
                found[tp.topic] += [
                    (r.value, list(r.headers)) for r in batch if r.offset < ends[tp]
                ]
        return found
    finally:
        await consumer.stop()
