"""Posts assignments to the CRM's REST endpoint (the generic JSON webhook).

Every attempt carries the assignment id as ``Idempotency-Key`` so that a retry
after a lost answer cannot make the CRM record the assignment twice.
"""

import asyncio
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from leadrouter_router.platform.outbox import (
    OutboxMessage,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from leadrouter_router.settings import CrmSettings


def retry_after_s(value: str | None, *, now: datetime) -> float | None:
    """``Retry-After`` as seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
    except (TypeError, ValueError):
        return None


class CrmDeliverer:
    def __init__(self, settings: CrmSettings, client: httpx.AsyncClient) -> None:
        self._settings = settings
        self._client = client
        self._slots = asyncio.Semaphore(settings.max_concurrency)

    async def __call__(self, message: OutboxMessage) -> None:
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": message.idempotency_key,
            "X-Correlation-ID": message.headers.get("correlation-id", ""),
        }
        if self._settings.token is not None:
            headers["Authorization"] = f"Bearer {self._settings.token.get_secret_value()}"
        async with self._slots:
            try:
                response = await self._client.post(
                    self._settings.url, content=message.payload, headers=headers
                )
            except httpx.TransportError as error:
                raise RetryableDeliveryError(f"CRM unreachable: {error!r}") from error
        if response.is_success:
            return
        answer = f"CRM answered {response.status_code}: {response.text[:500]}"
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryableDeliveryError(
                answer,
                retry_after_s=retry_after_s(
                    response.headers.get("Retry-After"), now=datetime.now(UTC)
                ),
            )
        raise PermanentDeliveryError(answer)


def create_http_client(settings: CrmSettings) -> httpx.AsyncClient:
    # No redirects: an assignment must not be posted to a host we were not told about.
    return httpx.AsyncClient(timeout=settings.timeout_s, follow_redirects=False)
