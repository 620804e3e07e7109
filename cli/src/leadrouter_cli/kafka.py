"""Reading a topic for people: from the beginning or the end, following or up to
the end offsets seen at start; Kafka errors become ``CliError``s."""

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from leadrouter_cli.errors import CliError, ExitCode
from leadrouter_cli.events import RawRecord
from leadrouter_runtime.topics import UnknownTopicError, partitions_of

REQUEST_TIMEOUT_MS = 10_000
# Every client the CLI opens (consumer, producer, admin): how the broker names it, and
# how long it waits for an answer.
_CLIENT: dict[str, Any] = {"client_id": "leadrouter-cli", "request_timeout_ms": REQUEST_TIMEOUT_MS}
_Client = TypeVar("_Client", AIOKafkaConsumer, AIOKafkaProducer)


async def _partitions(bootstrap_servers: str, topic: str) -> list[int]:
    try:
        return await partitions_of(bootstrap_servers, topic, **_CLIENT)
    except UnknownTopicError as error:
        raise CliError(f"topic {topic!r} does not exist", ExitCode.NOT_FOUND) from error
    except RuntimeError as error:
        raise CliError(str(error)) from error


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
async def _started(client: _Client, bootstrap_servers: str) -> AsyncIterator[_Client]:
    """``client`` started, and stopped on the way out; Kafka out of reach is a
    ``CliError`` (exit code 3)."""
    try:
        await client.start()
    except KafkaError as error:
        await client.stop()  # releases what start() opened before it failed
        raise CliError(
            f"cannot reach Kafka at {bootstrap_servers}: {error}", ExitCode.UNREACHABLE
        ) from error
    try:
        yield client
    finally:
        await client.stop()


def _consumer(bootstrap_servers: str) -> AbstractAsyncContextManager[AIOKafkaConsumer]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=None,  # no group: reading commits nothing and moves no service's offsets
        enable_auto_commit=False,
        isolation_level="read_committed",
        **_CLIENT,
    )
    return _started(consumer, bootstrap_servers)


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
        # Before assigning: once assigned, the offsets request would queue behind the
        # consumer's fetch waiting on the broker (fetch_max_wait_ms, 500 ms).
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        consumer.assign(partitions)
        if from_beginning:
            await consumer.seek_to_beginning(*partitions)
        else:
            await consumer.seek_to_end(*partitions)
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


def producer(bootstrap_servers: str) -> AbstractAsyncContextManager[AIOKafkaProducer]:
    # Idempotent with acks=all (KIP-98): a retried send never writes a record twice.
    client = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers, enable_idempotence=True, acks="all", **_CLIENT
    )
    return _started(client, bootstrap_servers)
