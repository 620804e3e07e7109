"""``create_app(settings)``: the router's HTTP app, wired at start-up (database,
migrations, Kafka clients, CRM client, outbox relay) and closed in reverse."""

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import structlog
from fastapi import FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi
from prometheus_client import CollectorRegistry
from sqlalchemy.exc import IntegrityError

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
from leadrouter_runtime.guard import RequestGuard
from leadrouter_runtime.health import ReadinessCheck, health_router
from leadrouter_runtime.kafka import BatchConsumer, create_producer
from leadrouter_runtime.kafka_metrics import ConsumerMetrics, ProducerMetrics
from leadrouter_runtime.lag import ConsumerLagProbe, lag_gauge
from leadrouter_runtime.logging import CorrelationIdMiddleware
from leadrouter_runtime.metrics import metrics_router
from leadrouter_runtime.openapi import document_problems
from leadrouter_runtime.periodic import PeriodicMetrics, PeriodicTask, running
from leadrouter_runtime.problems import install_problem_handlers, problem_response
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


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(settings: Settings) -> FastAPI:
    registry = CollectorRegistry()
    metrics = RoutingMetrics(registry)
    outcome_metrics = OutcomeMetrics(registry)
    delivery_metrics = DeliveryMetrics(registry)
    outbox_metrics = OutboxMetrics(registry)
    produced_metrics = ProducerMetrics(registry, "router")
    consumer_metrics = ConsumerMetrics(registry, "router", produced=produced_metrics)
    lag = lag_gauge(registry, "router")
    periodic_metrics = PeriodicMetrics(registry, "router")
    replays = ReplayJobs()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        kafka = settings.kafka
        async with AsyncExitStack() as stack:
            engine = create_engine(settings.db.url, echo=settings.db.echo)
            stack.push_async_callback(engine.dispose)
            stack.push_async_callback(replays.close)  # before the engine goes
            if settings.db.migrate_on_start:
                await migrate(engine)
            sessions = session_factory(engine)
            if settings.seed_demo_salespeople:
                async with sessions.begin() as session:
                    await seed_demo_team(session, now=_utc_now())

            producer = create_producer(kafka, client_suffix="router")
            await producer.start()
            stack.push_async_callback(producer.stop)
            http = create_http_client(settings.crm)
            stack.push_async_callback(http.aclose)

            deliverers: dict[str, Deliverer] = {}
            manager_url = settings.sla.manager_webhook_url
            if manager_url is not None:
                # Its own client: the CRM client carries the CRM's credentials.
                webhook_http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0))
                stack.push_async_callback(webhook_http.aclose)
                token = settings.sla.manager_webhook_token
                deliverers[WEBHOOK_KIND] = ManagerWebhook(
                    manager_url, webhook_http, token=token.get_secret_value() if token else None
                )
            relay = OutboxRelay(
                sessions=sessions,
                deliverers=deliverers
                | {
                    CRM_KIND: CrmDeliverer(
                        settings.crm, http, metrics=delivery_metrics, sessions=sessions
                    ),
                    KAFKA_KIND: KafkaDeliverer(producer, metrics=produced_metrics),
                },
                clock=_utc_now,
                poll_interval_s=settings.outbox.poll_interval_s,
                batch_size=settings.outbox.batch_size,
                lease_s=settings.outbox.lease_s,
                backoff_base_s=settings.outbox.backoff_base_s,
                backoff_max_s=settings.outbox.backoff_max_s,
                # Only a lead's latest assignment is worth delivering to the CRM; every
                # topic reader gets the whole story.
                superseding_kinds={CRM_KIND},
                on_backlog=delivery_metrics.observe_backlog,
                circuit=CircuitPolicy(
                    failure_threshold=settings.outbox.circuit_failures,
                    probe_interval_s=settings.outbox.circuit_probe_interval_s,
                ),
                on_circuit=outbox_metrics.circuit_changed,
                periodic_metrics=periodic_metrics,
            )
            relay_task = asyncio.create_task(relay.run(), name="outbox-relay")
            stack.push_async_callback(_cancel, relay_task)

            recheck = RecheckUnassigned(
                sessions=sessions,
                assigned_topic=kafka.topic(topics.LEADS_ASSIGNED),
                clock=_utc_now,
                on_committed=relay.wake,
                batch_size=settings.routing.recheck_batch_size,
                metrics=metrics,
            )

            service_levels = CheckServiceLevels(
                sessions=sessions,
                assigned_topic=kafka.topic(topics.LEADS_ASSIGNED),
                clock=_utc_now,
                on_committed=relay.wake,
                batch_size=settings.sla.batch_size,
                notify_manager=manager_url is not None,
                metrics=outcome_metrics,
                routing_metrics=metrics,
            )
            app.state.service_levels = service_levels

            consumer = BatchConsumer(
                settings=kafka,
                topics=[kafka.topic(topics.LEADS_SCORED)],
                group_id=kafka.group_id or "router",
                handler=RouteScoredLeads(
                    sessions=sessions,
                    assigned_topic=kafka.topic(topics.LEADS_ASSIGNED),
                    clock=_utc_now,
                    on_committed=relay.wake,
                    metrics=metrics,
                ),
                producer=producer,
                metrics=consumer_metrics,
            )
            await consumer.start()
            stack.push_async_callback(consumer.stop)
            lag_probe = ConsumerLagProbe(
                settings=kafka,
                group_id=kafka.group_id or "router",
                topics=[kafka.topic(topics.LEADS_SCORED)],
                gauge=lag,
            )
            stack.push_async_callback(lag_probe.close)
            rejections = rejections_consumer(
                kafka,
                sessions=sessions,
                producer=producer,
                clock=_utc_now,
                metrics=consumer_metrics,
            )
            await rejections.start()
            stack.push_async_callback(rejections.stop)
            app.state.rejections_consumer = rejections

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
                clock=_utc_now,
                interval_s=settings.ops.sample_interval_s,
                window_s=settings.ops.throughput_window_s,
            )
            app.state.ops = OpsKafka(
                watch,
                activity,
                dead_letter_topics=[kafka.topic(dead_letter(name)) for name in PIPELINE_TOPICS],
            )

            await stack.enter_async_context(
                running(
                    [
                        PeriodicTask(
                            "recheck-unassigned",
                            recheck.run_once,
                            interval_s=settings.routing.recheck_interval_s,
                            metrics=periodic_metrics,
                        ),
                        # An interval first: deadlines are minutes, the start-up stays quiet.
                        PeriodicTask(
                            "sla-check",
                            service_levels.run_once,
                            interval_s=settings.sla.check_interval_s,
                            wait_first=True,
                            metrics=periodic_metrics,
                        ),
                        PeriodicTask(
                            "consumer-lag",
                            lag_probe.run_once,
                            interval_s=settings.lag_interval_s,
                            metrics=periodic_metrics,
                            log_context={"group_id": lag_probe.group_id},
                        ),
                        PeriodicTask(
                            "ops-topics",
                            activity.sample,
                            interval_s=settings.ops.sample_interval_s,
                            metrics=periodic_metrics,
                        ),
                    ]
                )
            )
            app.state.router = RouterState(
                settings=settings,
                engine=engine,
                sessions=sessions,
                producer=producer,
                consumer=consumer,
            )
            log.info("router.started", database=engine.url.render_as_string(hide_password=True))
            yield
        log.info("router.stopped")

    app = FastAPI(
        title="Lead router: router",
        version="0.1.0",
        summary="Assigns scored leads to salespeople and delivers the assignments to the CRM.",
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    app.add_middleware(RequestGuard, max_body_bytes=settings.http.max_body_bytes)
    app.add_middleware(CorrelationIdMiddleware)
    app.state.routing_metrics = metrics
    app.state.replays = replays
    app.state.outcome_metrics = outcome_metrics

    async def on_integrity_error(_: Request, exc: Exception) -> Response:
        # A unique key taken by a concurrent request between our check and the commit.
        log.warning("router.conflict", error=str(exc.__cause__ or exc)[:500])
        return problem_response(
            status=409, title="Conflict", detail="It conflicts with what was stored meanwhile."
        )

    app.add_exception_handler(IntegrityError, on_integrity_error)
    app.state.api_keys = ApiKeys(
        [(k.name, k.key.get_secret_value(), k.scope) for k in settings.auth.api_keys]
    )
    if not settings.auth.api_keys:
        log.warning("router.api_open_for_reading", reason="no API key configured")

    def readiness() -> Mapping[str, ReadinessCheck]:
        state: RouterState = app.state.router

        async def database_answers() -> None:
            await ping(state.engine)

        async def kafka_answers() -> None:
            await state.producer.client.fetch_all_metadata()

        async def consumer_running() -> None:
            if not state.consumer.running:
                raise RuntimeError("the leads.scored consumer has stopped")

        async def rejections_consumer_running() -> None:
            if not app.state.rejections_consumer.running:
                raise RuntimeError("the leads.rejected consumer has stopped")

        return {
            "database": database_answers,
            "kafka": kafka_answers,
            "consumer": consumer_running,
            "rejections_consumer": rejections_consumer_running,
        }

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_setup_schema(
                document_problems(
                    get_openapi(
                        title=app.title,
                        version=app.version,
                        summary=app.summary,
                        routes=app.routes,
                    )
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.include_router(health_router(readiness))
    app.include_router(metrics_router(registry))
    for domain_router in (
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
    ):
        app.include_router(domain_router)
    return app


async def _cancel(task: "asyncio.Task[None]") -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
