"""``create_app(settings)``: the scorer's HTTP app, wired with its Kafka clients at start-up."""

import time
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from prometheus_client import CollectorRegistry

from leadrouter_runtime.clock import utc_now
from leadrouter_runtime.guard import RequestGuard
from leadrouter_runtime.health import ReadinessCheck, health_router
from leadrouter_runtime.kafka import BatchConsumer, create_producer
from leadrouter_runtime.lag import ConsumerLagProbe
from leadrouter_runtime.logging import CorrelationIdMiddleware
from leadrouter_runtime.metrics import metrics_router
from leadrouter_runtime.openapi import add_problems, document_problems
from leadrouter_runtime.parts import parts_of
from leadrouter_runtime.periodic import PeriodicMetrics, PeriodicTask, running
from leadrouter_runtime.problems import install_problem_handlers
from leadrouter_runtime.settings import KafkaSettings
from leadrouter_schemas import topics
from leadrouter_scorer.campaigns.catalogue import CampaignCatalogue
from leadrouter_scorer.campaigns.handlers import CampaignFollower
from leadrouter_scorer.scoring.default_model import default_model
from leadrouter_scorer.scoring.handlers import ScoreReceivedLeads
from leadrouter_scorer.scoring.metrics import ScoringMetrics
from leadrouter_scorer.settings import Settings
from leadrouter_scorer.state import ScorerState
from leadrouter_scorer.webhooks.endpoints import webhooks_router
from leadrouter_scorer.webhooks.gateway import IntakeTopics, WebhookGateway
from leadrouter_scorer.webhooks.handlers import MapRawDeliveries
from leadrouter_scorer.webhooks.limits import IntakeLimits
from leadrouter_scorer.webhooks.metrics import WebhookMetrics
from leadrouter_scorer.webhooks.openapi import EVERY_ROUTE
from leadrouter_scorer.webhooks.registry import sources as webhook_sources

log = structlog.get_logger(__name__)


def create_app(settings: Settings) -> FastAPI:
    registry = CollectorRegistry()
    scoring_metrics = ScoringMetrics(registry)
    periodic_metrics = PeriodicMetrics(registry, "scorer")
    webhooks = WebhookGateway(
        settings.webhooks, metrics=WebhookMetrics(registry, sources=webhook_sources())
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        kafka = settings.kafka
        async with AsyncExitStack() as stack:
            producer = create_producer(kafka, client_suffix="scorer")
            await producer.start()
            stack.push_async_callback(producer.stop)
            stack.push_async_callback(webhooks.stop)
            await webhooks.start()
            # Every campaign first, then leads: none is judged by a half-loaded catalogue.
            follower = CampaignFollower(kafka=kafka, catalogue=CampaignCatalogue())
            stack.push_async_callback(follower.stop)
            await follower.start(timeout_s=settings.campaigns_load_timeout_s)
            consumer = await _consumers(
                stack, settings, producer, follower, webhooks, scoring_metrics
            )
            lag = ConsumerLagProbe(
                settings=kafka,
                group_id=_group_id(kafka),
                topics=[kafka.topic(topics.LEADS_RECEIVED)],
                gauge=scoring_metrics.lag,
            )
            stack.push_async_callback(lag.close)
            parts_of(app).provide(
                ScorerState(
                    settings=settings, producer=producer, consumer=consumer, campaigns=follower
                )
            )
            periodic = PeriodicTask(
                "consumer-lag",
                lag.run_once,
                interval_s=settings.lag_interval_s,
                metrics=periodic_metrics,
                log_context={"group_id": lag.group_id},
            )
            await stack.enter_async_context(running([periodic]))
            log.info(
                "scorer.started",
                bootstrap_servers=kafka.bootstrap_servers,
                campaigns=len(follower.catalogue),
            )
            yield
        log.info("scorer.stopped")

    app = FastAPI(
        title="Lead router: scorer",
        version="0.1.0",
        summary="Receives campaign responses, validates and scores them.",
        lifespan=lifespan,
    )
    install_problem_handlers(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(
                get_openapi(
                    title=app.title, version=app.version, summary=app.summary, routes=app.routes
                )
            )
            add_problems(app.openapi_schema, under="/v1/webhooks/", problems=EVERY_ROUTE)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    # The webhooks enforce their own (smaller) size limit, counted per source.
    app.add_middleware(RequestGuard)
    app.add_middleware(CorrelationIdMiddleware)
    parts_of(app).provide(
        webhooks, settings.webhooks, IntakeLimits(settings.webhooks, monotonic=time.monotonic)
    )

    def readiness() -> Mapping[str, ReadinessCheck]:
        state = parts_of(app).get(ScorerState)

        async def kafka_answers() -> None:
            await state.producer.client.fetch_all_metadata()

        async def consumer_running() -> None:
            if not state.consumer.running:
                raise RuntimeError("the leads.received consumer has stopped")

        async def campaigns_loaded() -> None:
            if not state.campaigns.following:
                raise RuntimeError("the config.campaigns catalogue is not loaded and followed")

        return {"kafka": kafka_answers, "campaigns": campaigns_loaded, "consumer": consumer_running}

    app.include_router(health_router(readiness))
    app.include_router(metrics_router(registry))
    app.include_router(webhooks_router())
    return app


def _group_id(kafka: KafkaSettings) -> str:
    return kafka.group_id or "scorer"


async def _consumers(
    stack: AsyncExitStack,
    settings: Settings,
    producer: Any,
    follower: CampaignFollower,
    webhooks: WebhookGateway,
    metrics: ScoringMetrics,
) -> BatchConsumer:
    """The leads.received consumer (scoring), returned, and the quarantine's, started."""
    kafka = settings.kafka
    group_id = _group_id(kafka)
    consumer = BatchConsumer(
        settings=kafka,
        topics=[kafka.topic(topics.LEADS_RECEIVED)],
        group_id=group_id,
        handler=ScoreReceivedLeads(
            kafka=kafka,
            producer=producer,
            catalogue=follower.catalogue,
            default_model=default_model(settings.default_mql_threshold),
            accept_unknown_campaigns=settings.accept_unknown_campaigns,
            metrics=metrics,
            clock=utc_now,
        ),
        producer=producer,
        metrics=metrics.consumer,
    )
    # Deliveries replayed from the quarantine, in a group of their own: a platform API
    # that is down while they are mapped again must not hold up scoring.
    remapping = BatchConsumer(
        settings=kafka,
        topics=[kafka.topic(topics.WEBHOOKS_RAW)],
        group_id=f"{group_id}.webhooks-raw",
        handler=MapRawDeliveries(
            gateway=webhooks, producer=producer, topics=IntakeTopics.of(kafka)
        ),
        producer=producer,
    )
    for started in (consumer, remapping):
        stack.push_async_callback(started.stop)
        await started.start()
    return consumer
