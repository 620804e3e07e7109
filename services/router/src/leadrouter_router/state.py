"""What every part of the router shares once started (built by the app's lifespan),
and the per-request session its endpoints use. Parts owned by one package (the ops
page's Kafka view, the replay jobs, a package's metrics) are found by their type:
``part(request, OpsKafka)`` (:mod:`leadrouter_runtime.parts`)."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from leadrouter_router.settings import Settings
from leadrouter_runtime.kafka import BatchConsumer
from leadrouter_runtime.parts import part


@dataclass(frozen=True, slots=True)
class RouterState:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    producer: Any  # aiokafka.AIOKafkaProducer (untyped library)
    consumer: BatchConsumer  # leads.scored
    rejections: BatchConsumer  # leads.rejected


def router_state(request: Request) -> RouterState:
    return part(request, RouterState)


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; the request's edge commits, services only flush."""
    async with router_state(request).sessions.begin() as session:
        yield session


# "function" scope: the transaction commits before the response is sent, so a client
# that got 201 finds the row on its next request, and a failed commit is an error
# answer, never a success that did not happen.
Session = Annotated[AsyncSession, Depends(request_session, scope="function")]


def topic_prefix(request: Request) -> str:
    return router_state(request).settings.kafka.topic_prefix


# The prefix of the topics an endpoint publishes to (campaigns, models, the set-up).
TopicPrefix = Annotated[str, Depends(topic_prefix)]
