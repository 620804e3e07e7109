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

import hashlib
from collections.abc import Sequence

import httpx
import structlog
from cachetools import LRUCache
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadrouter_router.crm.adapters import CrmAdapter, Delivery, Result, adapter_for
from leadrouter_router.crm.budget import Rate, RateBudget
from leadrouter_router.crm.calls import CrmCalls
from leadrouter_router.crm.metrics import DeliveryMetrics
from leadrouter_router.platform.outbox import (
    OutboxMessage,
    PermanentDeliveryError,
)
from leadrouter_router.settings import CrmSettings
from leadrouter_runtime.clock import Clock, utc_now
from leadrouter_schemas import LeadAssigned, decode_as

log = structlog.get_logger(__name__)

# Assignments remembered as acknowledged: a redelivery comes one outbox lease
# (a minute by default) after the success, far fewer than this many deliveries later.
REMEMBERED_ACKNOWLEDGEMENTS = 50_000


def default_rate(settings: CrmSettings) -> Rate | None:
    """The account's budget: the settings', else the kind's documented limit (docs/crm.md).
    HubSpot allows 100 requests per rolling 10 s (Free/Starter; 190 on Professional and
    Enterprise): 9/s with a burst of 10 never has more than 100 in any 10 s. Salesforce
    documents no per-second limit, only a daily allocation: 20/s spreads a burst."""
    per_s, burst = {"hubspot": (9.0, 10.0), "salesforce": (20.0, 20.0)}.get(
        settings.kind, (None, None)
    )
    per_s = settings.rate_per_s or per_s
    if per_s is None:
        return None
    return Rate(per_s=per_s, burst=settings.rate_burst or burst or per_s)


def account_of(settings: CrmSettings) -> str:
    """The budget's row: the CRM and the account's address, never the token. A generic
    endpoint's URL may carry a credential (``https://user:key@...``, ``?token=...``):
    its row keeps the scheme, host and path, and a digest of the rest, so that two
    credentials stay two budgets and neither is written anywhere."""
    if settings.kind == "hubspot":
        return f"hubspot {settings.hubspot.base_url}"
    if settings.kind == "salesforce":
        return f"salesforce {settings.salesforce.instance_url}"
    url = httpx.URL(settings.url)
    port = f":{url.port}" if url.port else ""
    address = f"generic {url.scheme}://{url.host}{port}{url.path}"
    if url.userinfo or url.query or url.fragment:
        address += " #" + hashlib.sha256(str(url).encode()).hexdigest()[:16]
    return address


class CrmDeliverer:
    """The outbox's ``crm`` deliverer: batches of up to the adapter's ``max_batch``
    (the relay's :class:`BatchDeliverer` contract), bounded concurrency, the account's
    shared request budget when ``sessions`` are given, metrics."""

    def __init__(
        self,
        settings: CrmSettings,
        client: httpx.AsyncClient,
        *,
        metrics: DeliveryMetrics | None = None,
        adapter: CrmAdapter | None = None,
        clock: Clock = utc_now,
        sessions: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self._adapter = adapter or adapter_for(settings)
        self.max_batch = self._adapter.max_batch
        rate = default_rate(settings)
        self.budget = (
            RateBudget(
                sessions,
                account=account_of(settings),
                rate=rate,
                max_wait_s=settings.rate_max_wait_s,
            )
            if sessions is not None and rate is not None
            else None
        )
        self.calls = CrmCalls(client, max_concurrency=settings.max_concurrency, budget=self.budget)
        self._metrics = metrics
        self._clock = clock
        self._acknowledged: LRUCache[str, bool] = LRUCache(maxsize=REMEMBERED_ACKNOWLEDGEMENTS)
        if metrics is not None:
            metrics.webhook_to_crm.labels(crm=self._adapter.name)  # zeros before the first

    async def __call__(self, message: OutboxMessage) -> None:
        [result] = await self.deliver_batch([message])
        if result is not None:
            raise result

    async def deliver_batch(self, messages: Sequence[OutboxMessage]) -> list[Result]:
        """One result per message, in order: None for delivered, else the
        :class:`RetryableDeliveryError` or :class:`PermanentDeliveryError`."""
        results: list[Result] = [None] * len(messages)
        deliveries: list[Delivery] = []
        positions: list[int] = []
        for i, message in enumerate(messages):
            try:
                event = decode_as(message.payload.encode(), LeadAssigned)
            except ValueError as error:
                results[i] = PermanentDeliveryError(f"not a lead.assigned event: {error}")
                continue
            deliveries.append(Delivery(event, message))
            positions.append(i)
        for start in range(0, len(deliveries), self.max_batch):
            chunk = deliveries[start : start + self.max_batch]
            answers = await self._adapter.deliver_batch(self.calls, chunk)
            for offset, answer in enumerate(answers):
                results[positions[start + offset]] = answer
        for result in results:
            if result is None:
                self._count("delivered")
            elif isinstance(result, PermanentDeliveryError):
                self._count("failed")
            else:
                self._count("retried")
        for delivery, position in zip(deliveries, positions, strict=True):
            if results[position] is None:
                self._first_acknowledgement(delivery.event, delivery.message)
        return results

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
    """httpx's interface over aiohttp's connections: a request costs ~0.27 ms of CPU
    instead of ~1.3 ms through httpcore (one request per lead for the generic webhook;
    docs/decisions/0505). Errors are httpx's (a refused connection is a
    ``TransportError``), answers are ``httpx.Response``s."""
    # Imported when the app starts, not with the module: aiohttp is a few hundred
    # milliseconds of import that only the relay needs.
    from httpx_aiohttp import AiohttpTransport

    limits = httpx.Limits(max_connections=settings.max_concurrency)
    return httpx.AsyncClient(
        transport=AiohttpTransport(limits=limits),
        timeout=httpx.Timeout(
            settings.timeout_s,
            connect=settings.connect_timeout_s,
            pool=settings.pool_timeout_s,
        ),
        limits=limits,
        # No redirect is followed, not even to the same host: an assignment goes only
        # where we were told, and a moved endpoint is a configuration to fix (permanent).
        follow_redirects=False,
    )
