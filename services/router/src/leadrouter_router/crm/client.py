"""Delivers assignments from the outbox to the CRM the settings name.

Every attempt carries the assignment id as the idempotency key (a header for the
generic webhook, an external id or a note marker for HubSpot and Salesforce: see
docs/crm.md) so that a retry after a lost answer cannot record the assignment
twice. Transport errors, 5xx and 429 are retried by the relay; any other answer
that is not a success, redirects included, is permanent: kept with the CRM's answer.

The CRM's first acknowledgement of an assignment observes the lead's time from the
webhook to the CRM. The outbox delivers an acknowledged message again only when
recording the success failed (the lease ran out); the deliverer remembers the
assignments it saw acknowledged lately, so that such a redelivery is not observed
twice. A retry after a lost answer is observed once: the lost answer observed nothing.
"""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import structlog
from cachetools import LRUCache

from leadrouter_router.crm.adapters import CrmAdapter, adapter_for
from leadrouter_router.crm.metrics import DeliveryMetrics
from leadrouter_router.platform.outbox import (
    OutboxMessage,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from leadrouter_router.settings import CrmSettings
from leadrouter_schemas import LeadAssigned, decode_as

log = structlog.get_logger(__name__)

# Assignments remembered as acknowledged: a redelivery comes one outbox lease
# (a minute by default) after the success, far fewer than this many deliveries later.
REMEMBERED_ACKNOWLEDGEMENTS = 50_000


def _utc_now() -> datetime:
    return datetime.now(UTC)


class CrmDeliverer:
    """The outbox's ``crm`` deliverer: bounded concurrency, one adapter, metrics."""

    def __init__(
        self,
        settings: CrmSettings,
        client: httpx.AsyncClient,
        *,
        metrics: DeliveryMetrics | None = None,
        adapter: CrmAdapter | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._client = client
        self._adapter = adapter or adapter_for(settings)
        self._metrics = metrics
        self._clock = clock
        self._slots = asyncio.Semaphore(settings.max_concurrency)
        self._acknowledged: LRUCache[str, bool] = LRUCache(maxsize=REMEMBERED_ACKNOWLEDGEMENTS)
        if metrics is not None:
            metrics.webhook_to_crm.labels(crm=self._adapter.name)  # zeros before the first

    async def __call__(self, message: OutboxMessage) -> None:
        try:
            event = decode_as(message.payload.encode(), LeadAssigned)
        except ValueError as error:
            self._count("failed")
            raise PermanentDeliveryError(f"not a lead.assigned event: {error}") from error
        try:
            async with self._slots:
                await self._adapter.deliver(self._client, event, message)
        except httpx.TransportError as error:
            self._count("retried")
            raise RetryableDeliveryError(f"CRM unreachable: {error!r}") from error
        except RetryableDeliveryError:
            self._count("retried")
            raise
        except PermanentDeliveryError:
            self._count("failed")
            raise
        self._count("delivered")
        self._first_acknowledgement(event, message)

    def _first_acknowledgement(self, event: LeadAssigned, message: OutboxMessage) -> None:
        assignment = message.idempotency_key
        if self._acknowledged.get(assignment):  # get: the most recently used again
            return
        self._acknowledged[assignment] = True  # the least recently used is forgotten
        received_at = event.data.lead.received_at
        if self._metrics is not None and received_at is not None:
            elapsed = (self._clock() - received_at).total_seconds()
            self._metrics.reached_crm(self._adapter.name, elapsed)

    def _count(self, result: str) -> None:
        if self._metrics is not None:
            self._metrics.delivered(self._adapter.name, result)


def create_http_client(settings: CrmSettings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(
            settings.timeout_s,
            connect=settings.connect_timeout_s,
            pool=settings.pool_timeout_s,
        ),
        limits=httpx.Limits(max_connections=settings.max_concurrency),
        # No redirect is followed, not even to the same host: an assignment goes only
        # where we were told, and a moved endpoint is a configuration to fix (permanent).
        follow_redirects=False,
    )
