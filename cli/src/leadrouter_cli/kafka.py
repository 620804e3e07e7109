"""Reading a topic for people: from the beginning or the end, following or up to
the end offsets seen at start; Kafka errors become ``CliError``s."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from leadrouter_cli.errors import CliError, ExitCode
from leadrouter_cli.events import RawRecord

REQUEST_TIMEOUT_MS = 10_000
_UNKNOWN_TOPIC_OR_PARTITION = 3


async def _partitions(bootstrap_servers: str, topic: str) -> list[int]:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers,
        client_id="leadrouter-cli",
        request_timeout_ms=REQUEST_TIMEOUT_MS,
    )
    await admin.start()
    try:
        (description,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    # UNKNOWN_TOPIC_OR_PARTITION is error 3 (https://kafka.apache.org/protocol#protocol_error_codes).
    if description["error_code"] == _UNKNOWN_TOPIC_OR_PARTITION or not description["partitions"]:
        raise CliError(f"topic {topic!r} does not exist", ExitCode.NOT_FOUND)
    if description["error_code"] != 0:
        raise CliError(f"cannot describe topic {topic!r}: error {description['error_code']}")
    return sorted(p["partition"] for p in description["partitions"])


def _raw(record: Any) -> RawRecord:
    return RawRecord(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        timestamp_ms=record.timestamp,
        key=record.key,
        value=record.value,
        headers=[(name, bytes(value)) for name, value in (record.headers or ())],
    )


@asynccontextmanager
async def _consumer(bootstrap_servers: str) -> AsyncIterator[Any]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        client_id="leadrouter-cli",
        group_id=None,  # no group: reading commits nothing and moves no service's offsets
        enable_auto_commit=False,
        isolation_level="read_committed",
        request_timeout_ms=REQUEST_TIMEOUT_MS,
    )
    try:
        await consumer.start()
    except KafkaError as error:
        await consumer.stop()  # releases what start() opened before it failed
        raise CliError(
            f"cannot reach Kafka at {bootstrap_servers}: {error}", ExitCode.UNREACHABLE
        ) from error
    try:
        yield consumer
    finally:
        await consumer.stop()


async def read(
    bootstrap_servers: str,
    topic: str,
    *,
    from_beginning: bool,
    follow: bool,
    limit: int | None = None,
) -> AsyncIterator[RawRecord]:
    """Records of ``topic`` in offset order per partition; ``follow=False`` stops at
    the end offsets seen when reading started."""
    async with _consumer(bootstrap_servers) as consumer:
        partitions = [TopicPartition(topic, p) for p in await _partitions(bootstrap_servers, topic)]
        consumer.assign(partitions)
        if from_beginning:
            await consumer.seek_to_beginning(*partitions)
        else:
            await consumer.seek_to_end(*partitions)
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        seen = 0
        while limit is None or seen < limit:
            if not follow:
                positions = {tp: await consumer.position(tp) for tp in partitions}
                if all(positions[tp] >= ends[tp] for tp in partitions):
                    return
            batch = await consumer.getmany(timeout_ms=500)
            for tp in sorted(batch, key=lambda tp: tp.partition):
                for record in batch[tp]:
                    if not follow and record.offset >= ends[tp]:
                        continue
                    yield _raw(record)
                    seen += 1
                    if limit is not None and seen >= limit:
                        return


@asynccontextmanager
async def producer(bootstrap_servers: str) -> AsyncIterator[AIOKafkaProducer]:
    # Idempotent with acks=all (KIP-98): a retried send never writes a record twice.
    client = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id="leadrouter-cli",
        enable_idempotence=True,
        acks="all",
        request_timeout_ms=REQUEST_TIMEOUT_MS,
    )
    try:
        await client.start()
    except KafkaError as error:
        await client.stop()
        raise CliError(
            f"cannot reach Kafka at {bootstrap_servers}: {error}", ExitCode.UNREACHABLE
        ) from error
    try:
        yield client
    finally:
        await client.stop()
