"""``leadrouter tail``: records produced to a topic, shown as readable events."""

import asyncio
import json

from aiokafka import AIOKafkaProducer

from leadrouter_schemas import Event, encode, headers, topics
from tests.cli.conftest import invoke, leadrouter
from tests.support import samples


async def produce_events(kafka: str, topic: str, events: list[Event], garbage: bytes = b"") -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                topic,
                key=event.correlation_id.encode(),
                value=encode(event),
                headers=headers(event),
            )
        if garbage:
            await producer.send_and_wait(topic, key=b"broken-1", value=garbage)
    finally:
        await producer.stop()


async def test_tail_shows_the_events_produced_and_the_undecodable_as_such(
    kafka: str, topic_prefix: str
) -> None:
    topic = topic_prefix + topics.LEADS_RECEIVED
    await produce_events(
        kafka,
        topic,
        [
            samples.received("ada@example.com", "corr-tail-1"),
            samples.scored("bob@example.com", "corr-tail-2"),
        ],
        garbage=b"{not json",
    )

    result = await invoke("tail", topic, "--from-beginning", "--no-follow", "-b", kafka)

    assert result.code == 0, result
    lines = sorted(result.stdout.splitlines())
    assert len(lines) == 3, result.stdout
    received = next(line for line in lines if "corr=corr-tail-1" in line)
    assert " lead.received key=corr-tail-1 " in received
    assert "email:ada@example.com campaign=spring-demo email=ada@example.com" in received
    scored = next(line for line in lines if "corr=corr-tail-2" in line)
    assert " lead.scored " in scored
    assert "score=64 grade=B MQL" in scored
    broken = next(line for line in lines if "key=broken-1" in line)
    assert " undecodable " in broken
    assert "(9 bytes;" in broken


async def test_tail_json_prints_one_object_a_record_up_to_max(
    kafka: str, topic_prefix: str
) -> None:
    topic = topic_prefix + topics.LEADS_ASSIGNED
    events = samples.one_of_each()
    await produce_events(kafka, topic, events)

    result = await invoke("tail", topic, "--from-beginning", "--max", "2", "--json", "-b", kafka)

    assert result.code == 0, result
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 2
    for record in records:
        assert record["topic"] == topic
        assert record["error"] is None
        assert record["event"]["event_id"] == record["headers"]["event-id"]
        assert record["type"] == record["headers"]["event-type"]


async def test_tail_follows_and_shows_records_produced_after_it_started(
    kafka: str, topic_prefix: str
) -> None:
    topic = topic_prefix + topics.LEADS_OUTCOMES
    # From the beginning of an empty topic: whatever arrives later is shown, whenever
    # the command gets to read (no race with its start-up).
    tailing = asyncio.create_task(
        leadrouter("tail", topic, "--from-beginning", "--max", "1", "-b", kafka)
    )
    outcome = samples.one_of_each()[4]
    await produce_events(kafka, topic, [outcome])

    result = await tailing

    assert result.code == 0, result
    (line,) = result.stdout.splitlines()
    assert " lead.outcome_recorded " in line
    assert "won value=1200 EUR" in line
