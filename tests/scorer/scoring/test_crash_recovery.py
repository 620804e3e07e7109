"""At-least-once through a SIGKILL: the scorer is killed mid-stream and restarted;
every record of leads.received still ends scored, rejected or dead-lettered, and
a record judged twice carries the same event id both times."""

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from aiokafka import AIOKafkaProducer

from leadrouter_schemas import (
    Contact,
    LeadReceived,
    LeadReceivedData,
    decode,
    encode,
    topics,
)
from leadrouter_scorer.scoring.handlers import derived_event_id
from tests.support.kafka import produce, read_all
from tests.support.samples import campaign, campaign_configured, envelope, lead
from tests.support.servers import ServiceProcess, free_port
from tests.support.waiting import eventually

TOTAL = 3000
FIRST_HALF = TOTAL // 2


def stream() -> tuple[list[tuple[bytes, bytes]], dict[bytes, uuid.UUID], set[bytes]]:
    """(key, value) records; the expected verdict id of each lead; the garbage values."""
    records: list[tuple[bytes, bytes]] = []
    expected: dict[bytes, uuid.UUID] = {}
    garbage: set[bytes] = set()
    for n in range(TOTAL):
        key = f"email:lead-{n}@example.com".encode()
        if n % 50 == 0:
            value = f'{{"broken": {n}}}'.encode()
            garbage.add(value)
        else:
            email = f"lead-{n}@example.com" if n % 7 else f"lead-{n}-at-example.com"
            event = LeadReceived(
                data=LeadReceivedData(
                    lead=lead(contact=Contact(email=email, country="US"), lead_key=key.decode())
                ),
                **envelope(f"crash-{n}"),
            )
            value = encode(event)
            expected[value] = derived_event_id(event, "scored" if n % 7 else "rejected")
        records.append((key, value))
    return records, expected, garbage


async def consumed(http: httpx.AsyncClient, url: str) -> int:
    text = (await http.get(f"{url}/metrics")).text
    return sum(
        int(float(m))
        for m in re.findall(r"^scorer_records_consumed_total\{[^}]*\} (\S+)$", text, re.M)
    )


async def test_every_record_ends_somewhere_after_a_sigkill_and_a_restart(
    kafka: str, topic_prefix: str, tmp_path: Path
) -> None:
    await produce(
        kafka,
        topic_prefix + topics.CAMPAIGNS_CONFIG,
        [encode(campaign_configured(campaign()))],
        key=b"spring-demo",
    )
    records, expected, garbage = stream()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "SCORER_HTTP__PORT": str(port),
        "SCORER_KAFKA__BOOTSTRAP_SERVERS": kafka,
        "SCORER_KAFKA__TOPIC_PREFIX": topic_prefix,
        "SCORER_KAFKA__GROUP_ID": f"{topic_prefix}scorer",
        "SCORER_KAFKA__MAX_BATCH": "100",
        "SCORER_LOG__LEVEL": "WARNING",
    }
    producer = AIOKafkaProducer(bootstrap_servers=kafka, enable_idempotence=True, acks="all")
    await producer.start()

    async def send(chunk: list[tuple[bytes, bytes]]) -> None:
        pending = [
            await producer.send(topic_prefix + topics.LEADS_RECEIVED, key=k, value=v)
            for k, v in chunk
        ]
        await asyncio.gather(*pending)

    first = ServiceProcess("leadrouter_scorer", env, tmp_path / "scorer-1.log")
    try:
        await first.wait_ready(f"{url}/readyz")
        async with httpx.AsyncClient(timeout=5) as http:
            feeding = asyncio.create_task(
                send_in_chunks(send, records[:FIRST_HALF], chunk_size=100)
            )

            async def mid_stream() -> bool:
                return await consumed(http, url) > 0

            await eventually(mid_stream, timeout_s=30, interval_s=0.01, what="first records")
            first.process.kill()  # SIGKILL: no clean shutdown, no final commit
            first.process.wait()
            await feeding
        assert first.process.returncode == -9

        second = ServiceProcess("leadrouter_scorer", env, tmp_path / "scorer-2.log")
        try:
            await send(records[FIRST_HALF:])

            async def all_judged() -> list[bytes] | None:
                outputs = [
                    r
                    for topic in (topics.LEADS_SCORED, topics.LEADS_REJECTED, "leads.received.dlq")
                    for r in await read_all(kafka, topic_prefix + topic)
                ]
                return (
                    [r.value for r in outputs]
                    if len({r.value for r in outputs if r.value in garbage})
                    + len({decode(r.value).causation_id for r in outputs if r.value not in garbage})
                    >= TOTAL
                    else None
                )

            outputs = await eventually(all_judged, timeout_s=90, interval_s=0.5, what="all")
        finally:
            second.stop()
    finally:
        await producer.stop()
        first.stop()

    dead = [v for v in outputs if v in garbage]
    verdicts = [decode(v) for v in outputs if v not in garbage]
    assert set(dead) == garbage
    by_cause: dict[uuid.UUID | None, set[uuid.UUID]] = {}
    for event in verdicts:
        by_cause.setdefault(event.causation_id, set()).add(event.event_id)
    inputs = {LeadReceived.model_validate_json(v).event_id: i for v, i in expected.items()}
    assert set(by_cause) == set(inputs)
    # Judged twice or not, each lead has exactly one verdict id: the expected one.
    assert all(ids == {inputs[cause]} for cause, ids in by_cause.items() if cause)


async def send_in_chunks(
    send: Callable[[list[tuple[bytes, bytes]]], Awaitable[None]],
    records: list[tuple[bytes, bytes]],
    *,
    chunk_size: int,
) -> None:
    for start in range(0, len(records), chunk_size):
        await send(records[start : start + chunk_size])
