"""``leadrouter dlq inspect|replay``: dead letters made by the runtime's own
``dead_letter_record`` from records read back from the source topic."""

from aiokafka import AIOKafkaProducer

from leadrouter_cli.errors import ExitCode
from leadrouter_runtime.kafka import DeadLetter, dead_letter_record, send_all
from leadrouter_schemas import encode, headers, topics
from tests.cli.conftest import invoke
from tests.support import samples
from tests.support.kafka import read_all, wait_for_records


async def dead_lettered(kafka: str, source: str) -> list[tuple[bytes | None, bytes | None]]:
    """Two records on ``source`` (a lead and garbage), then both on ``source``.dlq as the
    consumer loop dead-letters them; return the originals' (key, value)."""
    event = samples.received("ada@example.com", "corr-dlq-1")
    producer = AIOKafkaProducer(bootstrap_servers=kafka, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            source, key=b"email:ada@example.com", value=encode(event), headers=headers(event)
        )
        await producer.send_and_wait(source, key=b"broken-1", value=b"{not json")
        # Sorted by key: the dead-letter topic's offsets follow this order (broken-1 first).
        originals = sorted(await read_all(kafka, source), key=lambda r: r.key or b"")
        letters = [
            DeadLetter(record=record, reason=f"cannot score: case {i}", error_type="ValueError")
            for i, record in enumerate(originals)
        ]
        await send_all(producer, [dead_letter_record(letter) for letter in letters])
    finally:
        await producer.stop()
    return [(r.key, r.value) for r in originals]


async def test_inspect_shows_the_reason_the_source_and_the_value(
    kafka: str, topic_prefix: str
) -> None:
    source = topic_prefix + topics.LEADS_RECEIVED
    await dead_lettered(kafka, source)

    result = await invoke("dlq", "inspect", topics.dead_letter(source), "-b", kafka)

    assert result.code == 0, result
    out = result.stdout
    assert "reason:  cannot score: case 0" in out
    assert "reason:  cannot score: case 1" in out
    assert "error:   ValueError" in out
    assert f"source:  {source}[" in out
    assert "event:   lead.received corr=corr-dlq-1" in out
    assert "event:   undecodable" in out
    assert "value:   {not json" in out
    assert out.rstrip().endswith(f"2 dead letters on {topics.dead_letter(source)}")


async def test_a_dry_run_lists_the_replays_and_writes_nothing(
    kafka: str, topic_prefix: str
) -> None:
    source = topic_prefix + topics.LEADS_RECEIVED
    await dead_lettered(kafka, source)

    result = await invoke("dlq", "replay", topics.dead_letter(source), "--dry-run", "-b", kafka)

    assert result.code == 0, result
    assert result.stdout.count(f"would replay {topics.dead_letter(source)}[0]@") == 2
    assert f"-> {source} key=email:ada@example.com" in result.stdout
    assert "2 would be replayed, 0 skipped" in result.stdout
    # The command has exited: anything it wrote would be there by now.
    assert len(await read_all(kafka, source)) == 2


async def test_replay_puts_the_originals_back_on_their_source_topic(
    kafka: str, topic_prefix: str
) -> None:
    source = topic_prefix + topics.LEADS_RECEIVED
    originals = await dead_lettered(kafka, source)
    before = await read_all(kafka, source)

    result = await invoke("dlq", "replay", topics.dead_letter(source), "-b", kafka)

    assert result.code == 0, result
    assert "2 replayed, 0 skipped" in result.stdout
    records = await wait_for_records(kafka, source, 4)
    replayed = [
        r
        for r in records
        if (r.partition, r.offset) not in {(b.partition, b.offset) for b in before}
    ]
    assert sorted((r.key, r.value) for r in replayed) == sorted(originals)
    for record in replayed:
        names = [name for name, _ in record.headers]
        assert not [n for n in names if n.startswith("dlq-")]
        original = next(b for b in before if b.key == record.key)
        assert list(record.headers) == list(original.headers)
        # Same key, same partition: the lead's order holds.
        assert record.partition == original.partition


async def test_replay_to_another_topic_and_from_an_offset(kafka: str, topic_prefix: str) -> None:
    source = topic_prefix + topics.LEADS_RECEIVED
    await dead_lettered(kafka, source)
    target = topic_prefix + topics.LEADS_REJECTED

    result = await invoke(
        "dlq",
        "replay",
        topics.dead_letter(source),
        "--to",
        target,
        "--from-offset",
        "1",
        "-b",
        kafka,
    )

    assert result.code == 0, result
    (record,) = await wait_for_records(kafka, target, 1)
    assert record.key == b"email:ada@example.com"


async def test_replay_refuses_records_without_a_source_and_into_a_dead_letter_topic(
    kafka: str, topic_prefix: str
) -> None:
    dlq = topics.dead_letter(topic_prefix + topics.LEADS_SCORED)
    producer = AIOKafkaProducer(bootstrap_servers=kafka, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(dlq, key=b"k", value=b"v")  # no dlq-* headers
    finally:
        await producer.stop()

    result = await invoke("dlq", "replay", dlq, "-b", kafka)
    assert result.code == ExitCode.FAILED, result
    assert "no dlq-source-topic header: give --to TOPIC" in result.stderr
    assert "0 replayed, 1 skipped" in result.stdout

    into_dlq = await invoke("dlq", "replay", dlq, "--to", dlq, "-b", kafka)
    assert into_dlq.code == ExitCode.FAILED, into_dlq
    assert "refusing to replay into a dead-letter topic" in into_dlq.stderr
    assert len(await read_all(kafka, dlq)) == 1
