"""``create_app(settings)``: the scorer's HTTP app, wired with its Kafka clients at start-up."""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import structlog
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from leadrouter_runtime.health import ReadinessCheck, health_router
from leadrouter_runtime.kafka import BatchConsumer, create_producer
from leadrouter_runtime.metrics import metrics_router
from leadrouter_runtime.problems import install_problem_handlers
from leadrouter_schemas import ScoringModel, topics
from leadrouter_scorer.scoring.handlers import ScoreReceivedLeads
from leadrouter_scorer.settings import Settings
from leadrouter_scorer.state import ScorerState
from leadrouter_scorer.webhooks.endpoints import router as webhooks_router

log = structlog.get_logger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(settings: Settings) -> FastAPI:
    registry = CollectorRegistry()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        kafka = settings.kafka
        producer = create_producer(kafka, client_suffix="scorer")
        await producer.start()
        handler = ScoreReceivedLeads(
            kafka=kafka,
            producer=producer,
            model=ScoringModel(version="default-1", mql_threshold=settings.default_mql_threshold),
            clock=_utc_now,
        )
        consumer = BatchConsumer(
            settings=kafka,
            topics=[kafka.topic(topics.LEADS_RECEIVED)],
            group_id=kafka.group_id or "scorer",
            handler=handler,
            producer=producer,
        )
        try:
            await consumer.start()
            app.state.scorer = ScorerState(settings=settings, producer=producer, consumer=consumer)
            log.info("scorer.started", bootstrap_servers=kafka.bootstrap_servers)
            yield
        finally:
            await consumer.stop()
            await producer.stop()
            log.info("scorer.stopped")

    app = FastAPI(
        title="Lead router: scorer",
        version="0.1.0",
        summary="Receives campaign responses, validates and scores them.",
        lifespan=lifespan,
    )
    install_problem_handlers(app)

    def readiness() -> Mapping[str, ReadinessCheck]:
        state: ScorerState = app.state.scorer

        async def kafka_answers() -> None:
            await state.producer.client.fetch_all_metadata()

        async def consumer_running() -> None:
            if not state.consumer.running:
                raise RuntimeError("the leads.received consumer has stopped")

        return {"kafka": kafka_answers, "consumer": consumer_running}

    app.include_router(health_router(readiness))
    app.include_router(metrics_router(registry))
    app.include_router(webhooks_router)
    return app
