"""Kafka plumbing: an idempotent producer and an at-least-once batch consumer loop.

The loop polls a batch, hands it to the service's handler, dead-letters the
records the handler could not process, and commits offsets only after all of
that is durable. A handler that raises (a database or broker outage) gets the
same batch again after a back-off: nothing is skipped, nothing blocks forever.
Given :class:`~leadrouter_runtime.kafka_metrics.ConsumerMetrics`, it counts what
each committed batch consumed and dead-lettered, and how long it took.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.structs import OffsetAndMetadata, RecordMetadata
from pydantic import BaseModel, ValidationError

from leadrouter_runtime import failures
from leadrouter_runtime.kafka_metrics import ConsumerMetrics
from leadrouter_runtime.retries import paced
from leadrouter_runtime.settings import KafkaSettings
from leadrouter_schemas.dead_letters import dead_letter_headers
from leadrouter_schemas.envelope import Event
from leadrouter_schemas.serde import Headers, decode_as
from leadrouter_schemas.topics import dead_letter

log = structlog.get_logger(__name__)

EventT = TypeVar("EventT", bound=Event)


@dataclass(frozen=True, slots=True)
class OutboundRecord:
    topic: str
    value: bytes | None
    key: bytes | None = None
    headers: Headers = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A consumed record that cannot be processed, and why: by the error's type and
    location, never by the record's bytes (:mod:`leadrouter_runtime.failures`)."""

    record: ConsumerRecord[bytes, bytes]
    reason: str
    error_type: str
    location: str = failures.NO_LOCATION

    @classmethod
    def of(cls, record: ConsumerRecord[bytes, bytes], failure: failures.Failure) -> "DeadLetter":
        return cls(record, failure.reason, failure.error_type, failure.location)

    @classmethod
    def undecodable(
        cls,
        record: ConsumerRecord[bytes, bytes],
        error: ValidationError | None,
        *,
        model: type[BaseModel],
    ) -> "DeadLetter":
        """Not a ``model`` (``error``), or no value at all (``error`` None: a tombstone)."""
        expected = failures.model_name(model)
        if error is None:
            return cls.of(record, failures.tombstone(expected=expected))
        return cls.of(record, failures.invalid(error, model=model, expected=expected))


def decoded(record: ConsumerRecord[bytes, bytes], event_type: type[EventT]) -> EventT | DeadLetter:
    """The record's value as an ``event_type`` event, or the dead letter of a record
    that is not one (or has no value: a tombstone)."""
    if record.value is None:
        return DeadLetter.undecodable(record, None, model=event_type)
    try:
        return decode_as(record.value, event_type)
    except ValidationError as error:
        return DeadLetter.undecodable(record, error, model=event_type)


def decode_all(
    records: Sequence[ConsumerRecord[bytes, bytes]], event_type: type[EventT]
) -> tuple[list[EventT], list[DeadLetter]]:
    """The events among ``records`` and the dead letters of the rest, in their order."""
    events: list[EventT] = []
    letters: list[DeadLetter] = []
    for record in records:
        event = decoded(record, event_type)
        if isinstance(event, DeadLetter):
            letters.append(event)
        else:
            events.append(event)
    return events, letters


def create_producer(settings: KafkaSettings, *, client_suffix: str) -> AIOKafkaProducer:
    # Idempotent with acks=all: a retried send never duplicates a record
    # (KIP-98), and an acknowledged record survives a broker restart.
    return AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        client_id=f"{settings.client_id}-{client_suffix}",
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        request_timeout_ms=settings.request_timeout_ms,
    )


async def send_all(
    producer: AIOKafkaProducer, records: Sequence[OutboundRecord]
) -> list[RecordMetadata]:
    """Send every record without waiting for each, then wait until all are acknowledged;
    returns where each landed (topic, partition, offset), in the order given."""
    pending = [
        await producer.send(r.topic, value=r.value, key=r.key, headers=r.headers) for r in records
    ]
    return list(await asyncio.gather(*pending)) if pending else []


def dead_letter_record(letter: DeadLetter) -> OutboundRecord:
    record = letter.record
    headers: Headers = [
        *list(record.headers or ()),
        *dead_letter_headers(
            reason=letter.reason,
            error_type=letter.error_type,
            error_location=letter.location,
            source_topic=record.topic,
            source_partition=record.partition,
            source_offset=record.offset,
        ),
    ]
    return OutboundRecord(
        topic=dead_letter(record.topic), value=record.value, key=record.key, headers=headers
    )


async def stop_reading(task: asyncio.Task[None] | None, consumer: AIOKafkaConsumer | None) -> None:
    """Stop a consumer and the task that reads it: the task first (cancelled, and
    waited for), then the consumer."""
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    if consumer is not None:
        await consumer.stop()


BatchHandler = Callable[[Sequence[ConsumerRecord[bytes, bytes]]], Awaitable[Sequence[DeadLetter]]]


class BatchConsumer:
    """Runs ``handler`` over batches of ``topics`` until stopped; commits after effects."""

    def __init__(
        self,
        *,
        settings: KafkaSettings,
        topics: Sequence[str],
        group_id: str,
        handler: BatchHandler,
        producer: AIOKafkaProducer,
        retry_backoff_s: float = 1.0,
        metrics: ConsumerMetrics | None = None,
    ) -> None:
        self._settings = settings
        self._topics = list(topics)
        self._group_id = group_id
        self._handler = handler
        self._producer = producer
        self._retry_backoff_s = retry_backoff_s
        self._metrics = metrics
        if metrics is not None:
            metrics.expect(self._topics)
        self._consumer: Any = None
        self._task: asyncio.Task[None] | None = None
        self.assigned = asyncio.Event()

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            *self._topics,
            bootstrap_servers=self._settings.bootstrap_servers,
            client_id=f"{self._settings.client_id}-{self._group_id}",
            group_id=self._group_id,
            group_instance_id=self._settings.group_instance_id or None,
            session_timeout_ms=self._settings.session_timeout_ms,
            # At most a third of the session, as Kafka's consumer documentation asks.
            heartbeat_interval_ms=min(3000, self._settings.session_timeout_ms // 3),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            fetch_max_wait_ms=self._settings.fetch_max_wait_ms,
            request_timeout_ms=self._settings.request_timeout_ms,
        )
        await self._consumer.start()
        self._task = asyncio.create_task(self._run(), name=f"consume:{self._group_id}")

    async def stop(self) -> None:
        await stop_reading(self._task, self._consumer)
        self._task = self._consumer = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        # Whatever failed (the poll itself, a rebalance mid-batch, a batch), the loop
        # must not die quietly: pause, and poll again from the committed or
        # re-positioned offsets. Cancelling (stop) is no Exception: it ends the loop.
        async for attempt in paced(Exception, attempts=None, pause_s=self._retry_backoff_s):
            with attempt:
                while True:
                    await self._consume_one_batch()

    async def _linger(
        self, polled: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    ) -> None:
        """Add to ``polled`` what arrives within the linger, up to a full batch: records
        come in faster than batches are handled, so a batch's fixed costs (its
        transaction, what it wakes) are shared by more of them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._settings.batch_linger_ms / 1000
        count = sum(map(len, polled.values()))
        while count < self._settings.max_batch and (left := deadline - loop.time()) > 0:
            more = await self._consumer.getmany(
                timeout_ms=max(1, int(left * 1000)), max_records=self._settings.max_batch - count
            )
            for partition, records in more.items():
                polled.setdefault(partition, []).extend(records)
                count += len(records)

    async def _consume_one_batch(self) -> None:
        consumer = self._consumer
        try:
            polled: dict[
                TopicPartition, list[ConsumerRecord[bytes, bytes]]
            ] = await consumer.getmany(
                timeout_ms=self._settings.poll_timeout_ms, max_records=self._settings.max_batch
            )
            if consumer.assignment():
                self.assigned.set()
            if sum(map(len, polled.values())) > 1 and self._settings.batch_linger_ms:
                await self._linger(polled)
        except Exception:
            log.exception("kafka.poll_failed", group_id=self._group_id)
            raise
        records = [record for batch in polled.values() for record in batch]
        if not records:
            return
        started = time.perf_counter()
        try:
            letters = await self._handler(records)
            sent = await send_all(self._producer, [dead_letter_record(x) for x in letters])
            for letter in letters:
                log.warning(
                    "kafka.dead_lettered",
                    topic=letter.record.topic,
                    partition=letter.record.partition,
                    offset=letter.record.offset,
                    reason=letter.reason,
                    error_type=letter.error_type,
                    location=letter.location,
                )
            await consumer.commit(
                {tp: OffsetAndMetadata(batch[-1].offset + 1, "") for tp, batch in polled.items()}
            )
        except asyncio.CancelledError:
            raise
        except Exception:
            # Infrastructure failure: offsets stay where they were, and the same
            # records come again after a pause (at-least-once, nothing skipped).
            # Partitions lost to a rebalance meanwhile resume from their commit
            # in their new owner, so only those still ours are re-positioned.
            log.exception("kafka.batch_failed", group_id=self._group_id, records=len(records))
            still_ours = consumer.assignment()
            for tp, batch in polled.items():
                if tp in still_ours:
                    consumer.seek(tp, batch[0].offset)
            raise  # the loop pauses, then polls again
        else:
            if self._metrics is not None:
                # Counted once committed: a batch that fails and comes again counts once.
                self._metrics.committed(polled, sent, duration_s=time.perf_counter() - started)
