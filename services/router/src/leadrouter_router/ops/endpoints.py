"""``/v1/ops/*`` (read scope): what the ops page shows, as JSON; ``/ops``: the page.

The page is three static files (no front-end build): it calls these endpoints,
``/v1/reports/funnel`` and ``/v1/leads?status=unassigned``, and refreshes itself.
"""

import asyncio
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from typing import Annotated, Any

from aiokafka.errors import KafkaError
from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from leadrouter_router.ops import repository
from leadrouter_router.ops.dead_letters import describe, newest_first
from leadrouter_router.ops.schemas import (
    DeadLettersOut,
    DeadLetterTopicOut,
    DecisionLineOut,
    DecisionLinesOut,
    PartitionOut,
    SlaBreachesOut,
    SlaBreachOut,
    SlaDueOut,
    SlaDuesOut,
    TopicOut,
    TopicsOut,
)
from leadrouter_router.ops.topics import OpsKafka
from leadrouter_router.platform.auth import problem_entry
from leadrouter_router.platform.routes import ScopedRouter
from leadrouter_router.routing.deadlines import next_deadline
from leadrouter_router.sla.service import missed_target
from leadrouter_router.state import Session
from leadrouter_runtime.parts import part
from leadrouter_runtime.problems import NotFound, ServiceUnavailable
from leadrouter_runtime.values import UtcDatetime

BAD_QUERY: dict[int | str, dict[str, Any]] = {422: problem_entry("A query parameter is not valid")}
FROM_KAFKA: dict[int | str, dict[str, Any]] = {503: problem_entry("Kafka did not answer")}
Limit = Annotated[int, Query(ge=1, le=200)]
RETRY_AFTER_S = 5
STATIC = files("leadrouter_router.ops") / "static"
ASSETS: dict[str, str] = {
    "ops.js": "text/javascript",
    "calibration.js": "text/javascript",
    "leakage.js": "text/javascript",
    "ops.css": "text/css",
}

router = ScopedRouter(tags=["ops"])


def ops_kafka(request: Request) -> OpsKafka:
    return part(request, OpsKafka)


Kafka = Annotated[OpsKafka, Depends(ops_kafka)]


@router.read("/v1/ops/topics", "Throughput and lag per topic and partition", FROM_KAFKA)
async def topics(kafka: Kafka) -> TopicsOut:
    try:
        sample, rates = await kafka.activity.latest()
    except (KafkaError, TimeoutError) as error:
        raise _unavailable(error) from error
    by_topic: dict[str, list[PartitionOut]] = {}
    for p in sample.partitions:
        by_topic.setdefault(p.topic, []).append(
            PartitionOut(
                partition=p.partition,
                end_offset=p.end,
                records=p.records,
                per_second=rates.get((p.topic, p.partition)),
                lag={group: p.lag(group) for group in p.committed},
            )
        )
    return TopicsOut(
        sampled_at=sample.at,
        window_s=kafka.activity.window_s,
        groups=kafka.activity.groups,
        # In the lead's order through the pipeline, as configured, not by name.
        topics=[_topic(name, by_topic[name]) for name in kafka.activity.topics if name in by_topic],
    )


def _unavailable(error: Exception) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"Kafka did not answer: {error!r}", headers={"Retry-After": str(RETRY_AFTER_S)}
    )


def _topic(name: str, partitions: list[PartitionOut]) -> TopicOut:
    rates = [p.per_second for p in partitions]
    groups = {group for p in partitions for group in p.lag}
    return TopicOut(
        topic=name,
        end_offset=sum(p.end_offset for p in partitions),
        records=sum(p.records for p in partitions),
        per_second=None if None in rates else sum(r for r in rates if r is not None),
        lag={g: sum(p.lag.get(g, 0) for p in partitions) for g in sorted(groups)},
        partitions=partitions,
    )


@router.read(
    "/v1/ops/dead-letters", "The newest dead letters with their reasons", BAD_QUERY, FROM_KAFKA
)
async def dead_letters(kafka: Kafka, limit: Limit = 20) -> DeadLettersOut:
    try:
        offsets = await kafka.watch.offsets(kafka.dead_letter_topics)
        # Only those that exist: nothing of ours consumes leads.assigned, for one.
        names = [n for n in kafka.dead_letter_topics if any(p.topic == n for p in offsets)]
        held = {name: sum(p.records for p in offsets if p.topic == name) for name in names}
        found = await asyncio.gather(
            *(kafka.watch.latest(name, limit=limit) for name in names if held[name])
        )
    except (KafkaError, TimeoutError) as error:
        raise _unavailable(error) from error
    letters = [describe(record) for records in found for record in records]
    return DeadLettersOut(
        topics=[DeadLetterTopicOut(topic=name, records=held[name]) for name in names],
        items=newest_first(letters, limit=limit),
    )


@router.read(
    "/v1/ops/sla-breaches", "Assignments whose SLA deadline was missed, newest first", BAD_QUERY
)
async def sla_breaches(
    session: Session,
    since: Annotated[
        UtcDatetime | None, Query(description="Breached from (default: 24 hours ago).")
    ] = None,
    limit: Limit = 50,
) -> SlaBreachesOut:
    since = since or datetime.now(UTC) - timedelta(days=1)
    rows = await repository.sla_breaches(session, since=since, limit=limit)
    items = []
    for assignment, lead, missed_by, owner_now in rows:
        target = missed_target(assignment.end_reason) or "accept"
        items.append(
            SlaBreachOut(
                assignment_id=assignment.id,
                lead_id=lead.id,
                campaign_id=lead.campaign_id,
                correlation_id=lead.correlation_id,
                target=target,
                missed_by_id=assignment.salesperson_id,
                missed_by_name=missed_by,
                assigned_at=assignment.assigned_at,
                due_at=assignment.accept_due_at if target == "accept" else assignment.touch_due_at,
                breached_at=assignment.ended_at or assignment.assigned_at,
                owner_now_id=lead.owner_id,
                owner_now_name=owner_now,
                lead_status=lead.status,
            )
        )
    return SlaBreachesOut(since=since, items=items)


@router.read(
    "/v1/ops/sla-due",
    "Open assignments whose SLA deadline falls within the next minutes, soonest first",
    BAD_QUERY,
)
async def sla_due(
    session: Session,
    within_minutes: Annotated[int, Query(ge=1, le=7 * 24 * 60)] = 60,
    limit: Limit = 50,
) -> SlaDuesOut:
    now = datetime.now(UTC)
    until = now + timedelta(minutes=within_minutes)
    items = []
    for assignment, lead, name in await repository.due_by(session, until=until, limit=limit):
        deadline = next_deadline(
            assignment.stage, assignment.accept_due_at, assignment.touch_due_at
        )
        if deadline is None:  # pragma: no cover  (the query only finds armed ones)
            continue
        target, due_at = deadline
        items.append(
            SlaDueOut(
                assignment_id=assignment.id,
                lead_id=lead.id,
                campaign_id=lead.campaign_id,
                correlation_id=lead.correlation_id,
                stage=assignment.stage,
                target=target,
                due_at=due_at,
                overdue=due_at <= now,
                salesperson_id=assignment.salesperson_id,
                salesperson_name=name,
                assigned_at=assignment.assigned_at,
            )
        )
    return SlaDuesOut(until=until, items=sorted(items, key=lambda i: i.due_at))


@router.read("/v1/ops/decisions", "The latest routing decisions and why", BAD_QUERY)
async def decisions(session: Session, limit: Limit = 20) -> DecisionLinesOut:
    rows = await repository.latest_decisions(session, limit=limit)
    return DecisionLinesOut(
        items=[
            DecisionLineOut(
                decision_id=decision.id,
                lead_id=lead.id,
                campaign_id=lead.campaign_id,
                correlation_id=lead.correlation_id,
                grade=lead.grade,
                score=lead.score,
                outcome=decision.outcome,
                via=record.via,
                salesperson_id=decision.salesperson_id,
                salesperson_name=name,
                pool=record.pool,
                strategy=record.strategy,
                reason=record.reason,
                policy_name=decision.policy_name,
                policy_version=decision.policy_version,
                decided_at=decision.decided_at,
            )
            for decision, lead, name, record in rows
        ]
    )


@router.get("/ops", response_class=HTMLResponse, summary="The live ops page (HTML)")
async def ops_page() -> HTMLResponse:
    # Open like /healthz: the page holds no data; what it fetches needs the read scope.
    return HTMLResponse(
        (STATIC / "ops.html").read_text(encoding="utf-8"),
        headers={
            # Only our own script and style; data is shown as text, never as markup.
            "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
            "Cache-Control": "no-cache",
        },
    )


@router.get("/ops/{asset}", include_in_schema=False)
async def ops_asset(asset: str) -> Response:
    media_type = ASSETS.get(asset)
    if media_type is None:
        raise NotFound(f"No ops asset {asset!r}.")
    return Response(
        (STATIC / asset).read_text(encoding="utf-8"),
        media_type=media_type,
        headers={"Cache-Control": "no-cache"},
    )
