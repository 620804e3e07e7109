"""Two outbox relays on one database (SQLite and PostgreSQL), as two router replicas:
each key's messages reach a flaky HTTP receiver and a topic of the real broker in the
order they were written, though the relays claim concurrently and attempts fail."""

import asyncio
import json
import random
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadrouter_router import models  # noqa: F401  (the complete metadata)
from leadrouter_router.platform.db import create_engine, session_factory
from leadrouter_router.platform.kafka_delivery import KafkaDeliverer
from leadrouter_router.platform.outbox import Deliverer, enqueue
from leadrouter_router.sla.webhook import ManagerWebhook
from leadrouter_runtime.kafka import create_producer
from leadrouter_runtime.settings import KafkaSettings
from leadrouter_schemas import topics
from tests.router.platform.support import all_delivered, now, relay_of, running
from tests.support.kafka import read_all
from tests.support.servers import serving
from tests.support.waiting import eventually

KEYS = [f"lead-{n}" for n in range(12)]
PER_KEY = 5


@dataclass
class FlakyReceiver:
    """Answers 500 to a third of the requests and takes up to 30 ms to answer; keeps
    what it took once per ``Idempotency-Key``, by key, in the order it took them."""

    taken: dict[str, list[int]] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)
    refused: int = 0
    chance: random.Random = field(default_factory=lambda: random.Random(12))


def flaky(receiver: FlakyReceiver) -> FastAPI:
    app = FastAPI()

    @app.post("/notifications")
    async def take(request: Request) -> Response:
        body = await request.json()
        await asyncio.sleep(receiver.chance.uniform(0, 0.03))  # the receiver's latency
        if receiver.chance.random() < 1 / 3:
            receiver.refused += 1
            return JSONResponse({"error": "internal"}, status_code=500)
        key = request.headers["idempotency-key"]
        if key not in receiver.keys:
            receiver.keys.add(key)
            receiver.taken.setdefault(body["key"], []).append(body["n"])
        return JSONResponse({}, status_code=200)

    return app


@asynccontextmanager
async def relay(database_url: str, receiver_url: str, kafka: str) -> AsyncIterator[None]:
    """One replica: an engine, an HTTP client and a producer of its own, its relay running."""
    async with AsyncExitStack() as stack:
        engine = create_engine(database_url)
        stack.push_async_callback(engine.dispose)
        producer = create_producer(
            KafkaSettings(bootstrap_servers=kafka, client_id="relay", group_id="relay"),
            client_suffix="test",
        )
        await producer.start()
        stack.push_async_callback(producer.stop)
        client = await stack.enter_async_context(httpx.AsyncClient(timeout=5))
        deliverers: dict[str, Deliverer] = {
            "webhook": ManagerWebhook(f"{receiver_url}/notifications", client),
            "kafka": KafkaDeliverer(producer),
        }
        replica = relay_of(
            session_factory(engine), deliverers, batch_size=7, backoff_s=(0.01, 0.05)
        )
        await stack.enter_async_context(running(replica))
        yield


async def test_two_relays_deliver_each_keys_messages_in_written_order(
    kafka: str, topic_prefix: str, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    topic = topic_prefix + topics.LEADS_ASSIGNED
    receiver = FlakyReceiver()
    async with (
        serving(flaky(receiver)) as receiver_url,
        relay(database_url, receiver_url, kafka),
        relay(database_url, receiver_url, kafka),
    ):
        # Written while the relays run: round n of every key in one transaction.
        for n in range(PER_KEY):
            async with sessions.begin() as session:
                for key in KEYS:
                    body = f'{{"key": "{key}", "n": {n}}}'
                    for kind, destination in (("webhook", "manager"), ("kafka", topic)):
                        enqueue(
                            session,
                            kind=kind,
                            destination=destination,
                            key=key,
                            payload=body,
                            idempotency_key=f"{key}-{n}",
                            now=now(),
                        )

        await eventually(
            lambda: all_delivered(sessions), timeout_s=60, what="every message delivered"
        )

    in_order = {key: list(range(PER_KEY)) for key in KEYS}
    assert receiver.refused > 0, "attempts failed and were retried"
    assert receiver.taken == in_order
    on_topic: dict[str, list[int]] = {}
    for record in await read_all(kafka, topic):
        assert record.key is not None
        on_topic.setdefault(record.key.decode(), []).append(json.loads(record.value)["n"])
    assert on_topic == in_order
