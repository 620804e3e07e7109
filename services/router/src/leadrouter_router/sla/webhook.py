"""The outbox's ``webhook`` deliverer: POSTs the manager notification (JSON) to the
URL from settings. Transport errors, 5xx and 429 are retried by the relay (with
``Retry-After`` honoured, RFC 9110 §10.2.3); other answers that are not 2xx are
permanent. The idempotency key travels as ``Idempotency-Key`` so a receiver can drop
a repeat after a lost answer."""

import httpx

from leadrouter_router.platform.outbox import (
    OutboxMessage,
    PermanentDeliveryError,
    RetryableDeliveryError,
)


class ManagerWebhook:
    def __init__(self, url: str, client: httpx.AsyncClient, *, token: str | None = None) -> None:
        self._url = url
        self._client = client
        self._token = token

    async def __call__(self, message: OutboxMessage) -> None:
        headers = {
            "content-type": "application/json",
            "idempotency-key": message.idempotency_key,
            **{k: v for k, v in message.headers.items() if k == "correlation-id"},
        }
        if self._token:
            headers["authorization"] = f"Bearer {self._token}"
        try:
            response = await self._client.post(
                self._url, content=message.payload, headers=headers, follow_redirects=False
            )
        except httpx.TransportError as error:
            raise RetryableDeliveryError(f"manager webhook unreachable: {error!r}") from error
        if response.is_success:
            return
        answer = f"manager webhook answered {response.status_code}: {response.text[:300]}"
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryableDeliveryError(answer, retry_after_s=_retry_after(response))
        raise PermanentDeliveryError(answer)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None
