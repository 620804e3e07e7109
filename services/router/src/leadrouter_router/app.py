"""``create_app(settings)``: the router's HTTP app. Its lifespan builds the running
parts in order, each by a small function below (database, producer, relay, workers,
consumers, the ops page's Kafka view), runs the periodic tasks under one task
group, and closes everything in reverse. Endpoints find what they use by type
(:mod:`leadrouter_runtime.parts`): the shared :class:`RouterState`, or a package's
own part."""

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from fastapi import FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi
from prometheus_client import CollectorRegistry, Gauge
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from leadrouter_router.accounts.endpoints import router as accounts_router
from leadrouter_router.campaigns.endpoints import router as campaigns_router
from leadrouter_router.config.endpoints import add_setup_schema
from leadrouter_router.config.endpoints import router as config_router
from leadrouter_router.crm import CRM_KIND
from leadrouter_router.crm.client import CrmDeliverer, create_http_client
from leadrouter_router.crm.endpoints import router as deliveries_router
from leadrouter_router.crm.metrics import DeliveryMetrics
from leadrouter_router.demo import seed_demo_team
from leadrouter_router.leads.endpoints import router as leads_router
from leadrouter_router.learning.endpoints import router as learning_router
from leadrouter_router.ops.endpoints import router as ops_router
from leadrouter_router.ops.topics import OpsKafka, TopicActivity
from leadrouter_router.outcomes.endpoints import router as outcomes_router
from leadrouter_router.outcomes.metrics import OutcomeMetrics
from leadrouter_router.platform.auth import ApiKeys
from leadrouter_router.platform.circuit import CircuitPolicy
from leadrouter_router.platform.db import create_engine, migrate, ping, session_factory
from leadrouter_router.platform.kafka_delivery import KAFKA_KIND, KafkaDeliverer
from leadrouter_router.platform.metrics import OutboxMetrics
from leadrouter_router.platform.outbox import Deliverer, OutboxRelay
from leadrouter_router.rejections.handlers import rejections_consumer, rejections_group
from leadrouter_router.replay.endpoints import router as replay_router
from leadrouter_router.replay.jobs import ReplayJobs
from leadrouter_router.reports.endpoints import router as reports_router
from leadrouter_router.routing.endpoints import router as routing_router
from leadrouter_router.routing.handlers import RecheckUnassigned, RouteScoredLeads
from leadrouter_router.routing.metrics import RoutingMetrics
from leadrouter_router.salespeople.endpoints import router as salespeople_router
from leadrouter_router.settings import Settings
from leadrouter_router.sla.handlers import CheckServiceLevels
from leadrouter_router.sla.service import WEBHOOK_KIND
from leadrouter_router.sla.webhook import ManagerWebhook
from leadrouter_router.state import RouterState
from leadrouter_router.territories.endpoints import router as territories_router
from leadrouter_runtime.clock import utc_now
from leadrouter_runtime.guard import RequestGuard
from leadrouter_runtime.health import ReadinessCheck, health_router
from leadrouter_runtime.kafka import BatchConsumer, create_producer
from leadrouter_runtime.kafka_metrics import ConsumerMetrics, ProducerMetrics
from leadrouter_runtime.lag import ConsumerLagProbe, lag_gauge
from leadrouter_runtime.logging import CorrelationIdMiddleware
from leadrouter_runtime.metrics import metrics_router
from leadrouter_runtime.openapi import document_problems
from leadrouter_runtime.parts import parts_of
from leadrouter_runtime.periodic import PeriodicMetrics, PeriodicTask, running
from leadrouter_runtime.problems import install_problem_handlers, problem_response
from leadrouter_runtime.settings import KafkaSettings
from leadrouter_runtime.watch import TopicWatch
from leadrouter_schemas import topics
from leadrouter_schemas.topics import dead_letter

log = structlog.get_logger(__name__)

# What the ops page watches: the lead's way through Kafka, and each step's dead letters
# (webhooks.raw's are the quarantine: authentic webhook requests the scorer could not map).
PIPELINE_TOPICS = (
    topics.LEADS_RECEIVED,
    topics.LEADS_SCORED,
    topics.LEADS_REJECTED,
    topics.LEADS_ASSIGNED,
    topics.LEADS_OUTCOMES,
    topics.WEBHOOKS_RAW,
)
OPS_TOPICS = (*PIPELINE_TOPICS, *(dead_letter(name) for name in PIPELINE_TOPICS))
DOMAIN_ROUTERS = (
    leads_router,
    outcomes_router,
    reports_router,
    replay_router,
    ops_router,
    deliveries_router,
    routing_router,
    salespeople_router,
    territories_router,
    accounts_router,
    campaigns_router,
    learning_router,
    config_router,
)

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


@dataclass(frozen=True, slots=True)
class RouterMetrics:
    """The app's metrics, on its own registry (built with the app, served at /metrics)."""

    registry: CollectorRegistry
    routing: RoutingMetrics
    outcomes: OutcomeMetrics
    delivery: DeliveryMetrics
    outbox: OutboxMetrics
    produced: ProducerMetrics
    consumed: ConsumerMetrics
    lag: Gauge
    periodic: PeriodicMetrics

    @classmethod
    def on(cls, registry: CollectorRegistry) -> "RouterMetrics":
        produced = ProducerMetrics(registry, "router")
        return cls(
            registry=registry,
            routing=RoutingMetrics(registry),
            outcomes=OutcomeMetrics(registry),
            delivery=DeliveryMetrics(registry),
            outbox=OutboxMetrics(registry),
            produced=produced,
            consumed=ConsumerMetrics(registry, "router", produced=produced),
            lag=lag_gauge(registry, "router"),
            periodic=PeriodicMetrics(registry, "router"),
        )


def create_app(settings: Settings) -> FastAPI:
    metrics = RouterMetrics.on(CollectorRegistry())
    replays = ReplayJobs()
    app = FastAPI(
        title="Lead router: router",
        version="0.1.0",
        summary="Assigns scored leads to salespeople and delivers the assignments to the CRM.",
        lifespan=_lifespan(settings, metrics, replays),
    )
    parts_of(app).provide(
        ApiKeys([(k.name, k.key.get_secret_value(), k.scope) for k in settings.auth.api_keys]),
        replays,
        metrics.routing,
        metrics.outcomes,
    )
    if not settings.auth.api_keys:
        log.warning("router.api_open_for_reading", reason="no API key configured")
    install_problem_handlers(app)
    app.add_exception_handler(IntegrityError, _on_integrity_error)
    app.add_middleware(RequestGuard, max_body_bytes=settings.http.max_body_bytes)
    app.add_middleware(CorrelationIdMiddleware)
    app.openapi = _openapi(app)  # type: ignore[method-assign]
    app.include_router(health_router(_readiness(app)))
    app.include_router(metrics_router(metrics.registry))
    for domain_router in DOMAIN_ROUTERS:
        app.include_router(domain_router)
    return app


def _lifespan(settings: Settings, metrics: RouterMetrics, replays: ReplayJobs) -> Lifespan:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            engine, sessions = await _database(stack, settings)
            stack.push_async_callback(replays.close)  # before the engine goes
            producer = await _producer(stack, settings.kafka)
            relay = await _relay(stack, settings, sessions, producer, metrics)
            recheck, service_levels = _workers(settings, sessions, relay, metrics)
            consumer, rejections = await _consumers(
                stack, settings, sessions=sessions, producer=producer, relay=relay, metrics=metrics
            )
            ops = await _ops_kafka(stack, settings)
            lag_probe = _lag_probe(stack, settings.kafka, metrics.lag)
            state = RouterState(
                settings=settings,
                engine=engine,
                sessions=sessions,
                producer=producer,
                consumer=consumer,
                rejections=rejections,
            )
            parts_of(app).provide(state, service_levels, ops)
            await stack.enter_async_context(
                running(
                    [
                        relay,
                        *_periodic(
                            settings, metrics.periodic, recheck, service_levels, lag_probe, ops
                        ),
                    ]
                )
            )
            log.info("router.started", database=engine.url.render_as_string(hide_password=True))
            yield
        log.info("router.stopped")

    return lifespan


async def _database(
    stack: AsyncExitStack, settings: Settings
) -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings.db.url, echo=settings.db.echo)
    stack.push_async_callback(engine.dispose)
    if settings.db.migrate_on_start:
        await migrate(engine)
    sessions = session_factory(engine)
    if settings.seed_demo_salespeople:
        async with sessions.begin() as session:
            await seed_demo_team(session, now=utc_now())
    return engine, sessions


async def _producer(stack: AsyncExitStack, kafka: KafkaSettings) -> Any:
    producer = create_producer(kafka, client_suffix="router")
    await producer.start()
    stack.push_async_callback(producer.stop)
    return producer


async def _relay(
    stack: AsyncExitStack,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    producer: Any,
    metrics: RouterMetrics,
) -> OutboxRelay:
    http = create_http_client(settings.crm)
    stack.push_async_callback(http.aclose)
    deliverers: dict[str, Deliverer] = {
        CRM_KIND: CrmDeliverer(settings.crm, http, metrics=metrics.delivery, sessions=sessions),
        KAFKA_KIND: KafkaDeliverer(producer, metrics=metrics.produced),
    }
    manager_url = settings.sla.manager_webhook_url
    if manager_url is not None:
        # Its own client: the CRM client carries the CRM's credentials.
        webhook_http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0))
        stack.push_async_callback(webhook_http.aclose)
        token = settings.sla.manager_webhook_token
        deliverers[WEBHOOK_KIND] = ManagerWebhook(
            manager_url, webhook_http, token=token.get_secret_value() if token else None
        )
    return OutboxRelay(
        sessions=sessions,
        deliverers=deliverers,
        clock=utc_now,
        poll_interval_s=settings.outbox.poll_interval_s,
        batch_size=settings.outbox.batch_size,
        lease_s=settings.outbox.lease_s,
        backoff_base_s=settings.outbox.backoff_base_s,
        backoff_max_s=settings.outbox.backoff_max_s,
        # Only a lead's latest assignment is worth delivering to the CRM; every
        # topic reader gets the whole story.
        superseding_kinds={CRM_KIND},
        on_backlog=metrics.delivery.observe_backlog,
        circuit=CircuitPolicy(
            failure_threshold=settings.outbox.circuit_failures,
            probe_interval_s=settings.outbox.circuit_probe_interval_s,
        ),
        on_circuit=metrics.outbox.circuit_changed,
        periodic_metrics=metrics.periodic,
    )


def _workers(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    relay: OutboxRelay,
    metrics: RouterMetrics,
) -> tuple[RecheckUnassigned, CheckServiceLevels]:
    assigned_topic = settings.kafka.topic(topics.LEADS_ASSIGNED)
    recheck = RecheckUnassigned(
        sessions=sessions,
        assigned_topic=assigned_topic,
        clock=utc_now,
        on_committed=relay.wake,
        batch_size=settings.routing.recheck_batch_size,
        metrics=metrics.routing,
    )
    service_levels = CheckServiceLevels(
        sessions=sessions,
        assigned_topic=assigned_topic,
        clock=utc_now,
        on_committed=relay.wake,
        batch_size=settings.sla.batch_size,
        notify_manager=settings.sla.manager_webhook_url is not None,
        metrics=metrics.outcomes,
        routing_metrics=metrics.routing,
    )
    return recheck, service_levels


async def _consumers(
    stack: AsyncExitStack,
    settings: Settings,
    *,
    sessions: async_sessionmaker[AsyncSession],
    producer: Any,
    relay: OutboxRelay,
    metrics: RouterMetrics,
) -> tuple[BatchConsumer, BatchConsumer]:
    """The leads.scored consumer (routing) and the leads.rejected one, started."""
    kafka = settings.kafka
    consumer = BatchConsumer(
        settings=kafka,
        topics=[kafka.topic(topics.LEADS_SCORED)],
        group_id=kafka.group_id or "router",
        handler=RouteScoredLeads(
            sessions=sessions,
            assigned_topic=kafka.topic(topics.LEADS_ASSIGNED),
            clock=utc_now,
            on_committed=relay.wake,
            metrics=metrics.routing,
        ),
        producer=producer,
        metrics=metrics.consumed,
    )
    rejections = rejections_consumer(
        kafka, sessions=sessions, producer=producer, clock=utc_now, metrics=metrics.consumed
    )
    for started in (consumer, rejections):
        await started.start()
        stack.push_async_callback(started.stop)
    return consumer, rejections


async def _ops_kafka(stack: AsyncExitStack, settings: Settings) -> OpsKafka:
    """What the ops page reads: the pipeline's topics and the groups reading them."""
    kafka = settings.kafka
    watch = TopicWatch(kafka, client_suffix="router-ops")
    await watch.start()
    stack.push_async_callback(watch.stop)
    activity = TopicActivity(
        watch,
        topics=[kafka.topic(name) for name in OPS_TOPICS],
        groups={
            settings.ops.scorer_group_id: [kafka.topic(topics.LEADS_RECEIVED)],
            kafka.group_id or "router": [kafka.topic(topics.LEADS_SCORED)],
            rejections_group(kafka): [kafka.topic(topics.LEADS_REJECTED)],
        },
        clock=utc_now,
        interval_s=settings.ops.sample_interval_s,
        window_s=settings.ops.throughput_window_s,
    )
    return OpsKafka(
        watch,
        activity,
        dead_letter_topics=[kafka.topic(dead_letter(name)) for name in PIPELINE_TOPICS],
    )


def _lag_probe(stack: AsyncExitStack, kafka: KafkaSettings, gauge: Gauge) -> ConsumerLagProbe:
    probe = ConsumerLagProbe(
        settings=kafka,
        group_id=kafka.group_id or "router",
        topics=[kafka.topic(topics.LEADS_SCORED)],
        gauge=gauge,
    )
    stack.push_async_callback(probe.close)
    return probe


def _periodic(
    settings: Settings,
    metrics: PeriodicMetrics,
    recheck: RecheckUnassigned,
    service_levels: CheckServiceLevels,
    lag_probe: ConsumerLagProbe,
    ops: OpsKafka,
) -> list[PeriodicTask]:
    """Every worker on a timer but the relay (built on a periodic task of its own)."""
    return [
        PeriodicTask(
            "recheck-unassigned",
            recheck.run_once,
            interval_s=settings.routing.recheck_interval_s,
            metrics=metrics,
        ),
        # An interval first: deadlines are minutes, the start-up stays quiet.
        PeriodicTask(
            "sla-check",
            service_levels.run_once,
            interval_s=settings.sla.check_interval_s,
            wait_first=True,
            metrics=metrics,
        ),
        PeriodicTask(
            "consumer-lag",
            lag_probe.run_once,
            interval_s=settings.lag_interval_s,
            metrics=metrics,
            log_context={"group_id": lag_probe.group_id},
        ),
        PeriodicTask(
            "ops-topics",
            ops.activity.sample,
            interval_s=settings.ops.sample_interval_s,
            metrics=metrics,
        ),
    ]


def _readiness(app: FastAPI) -> Callable[[], Mapping[str, ReadinessCheck]]:
    def readiness() -> Mapping[str, ReadinessCheck]:
        state = parts_of(app).get(RouterState)

        async def database_answers() -> None:
            await ping(state.engine)

        async def kafka_answers() -> None:
            await state.producer.client.fetch_all_metadata()

        def consuming(consumer: BatchConsumer, topic: str) -> ReadinessCheck:
            async def check() -> None:
                if not consumer.running:
                    raise RuntimeError(f"the {topic} consumer has stopped")

            return check

        return {
            "database": database_answers,
            "kafka": kafka_answers,
            "consumer": consuming(state.consumer, topics.LEADS_SCORED),
            "rejections_consumer": consuming(state.rejections, topics.LEADS_REJECTED),
        }

    return readiness


async def _on_integrity_error(_: Request, exc: Exception) -> Response:
    # A unique key taken by a concurrent request between our check and the commit.
    log.warning("router.conflict", error=str(exc.__cause__ or exc)[:500])
    return problem_response(
        status=409, title="Conflict", detail="It conflicts with what was stored meanwhile."
    )


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_setup_schema(
                document_problems(
                    get_openapi(
                        title=app.title, version=app.version, summary=app.summary, routes=app.routes
                    )
                )
            )
        return app.openapi_schema

    return openapi
