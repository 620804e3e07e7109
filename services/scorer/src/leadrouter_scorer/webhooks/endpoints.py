"""``POST /v1/webhooks/{source}``: answered 202 only once Kafka holds the lead."""

import re
from datetime import UTC, datetime
from typing import Annotated
from uuid import uuid4

import structlog
from aiokafka.errors import KafkaError
from fastapi import APIRouter, Depends, Header, Request, status

from leadrouter_runtime.kafka import OutboundRecord, send_all
from leadrouter_runtime.problems import PROBLEM_RESPONSES, JsonBodyRoute, ServiceUnavailable
from leadrouter_schemas import encode, headers, topics
from leadrouter_scorer.state import ScorerState, scorer_state
from leadrouter_scorer.webhooks.schemas import Accepted, GenericLead
from leadrouter_scorer.webhooks.service import received_from_generic

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"], route_class=JsonBodyRoute)

_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def correlation_id_of(header: str | None) -> str:
    """The caller's id when it is usable, else a new one."""
    return header if header and _CORRELATION_ID.match(header) else str(uuid4())


@router.post(
    "/generic",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Receive a campaign response in our generic JSON format",
    responses={**PROBLEM_RESPONSES, 503: {"description": "Kafka did not acknowledge the lead"}},
)
async def receive_generic(
    body: GenericLead,
    request: Request,
    state: Annotated[ScorerState, Depends(scorer_state)],
    x_correlation_id: Annotated[str | None, Header()] = None,
) -> Accepted:
    now = datetime.now(UTC)
    raw = await request.json()
    event = received_from_generic(
        body, raw=raw, correlation_id=correlation_id_of(x_correlation_id), now=now
    )
    lead = event.data.lead
    record = OutboundRecord(
        topic=state.settings.kafka.topic(topics.LEADS_RECEIVED),
        key=lead.lead_key.encode(),
        value=encode(event),
        headers=headers(event),
    )
    try:
        await send_all(state.producer, [record])
    except KafkaError as error:
        log.error("webhook.publish_failed", source=lead.source, error=str(error))
        raise ServiceUnavailable(
            "The lead could not be stored; send it again.", headers={"Retry-After": "5"}
        ) from error
    log.info(
        "webhook.received",
        source=lead.source,
        lead_key=lead.lead_key,
        campaign_id=lead.campaign_id,
        event_id=str(event.event_id),
        correlation_id=event.correlation_id,
    )
    return Accepted(
        event_id=event.event_id,
        lead_key=lead.lead_key,
        correlation_id=event.correlation_id,
        received_at=now,
    )
