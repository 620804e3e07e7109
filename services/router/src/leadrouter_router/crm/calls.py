"""Every request to the CRM goes through :class:`CrmCalls`: at most ``max_concurrency``
in flight, each one paid for from the account's shared budget first, each answer fed
back to it, and an unreachable CRM turned into a retryable error."""

import asyncio
from typing import Any

import httpx

from leadrouter_router.crm.answers import rate_signal
from leadrouter_router.crm.budget import RateBudget
from leadrouter_router.platform.outbox import RetryableDeliveryError


class CrmCalls:
    def __init__(
        self, client: httpx.AsyncClient, *, max_concurrency: int, budget: RateBudget | None
    ) -> None:
        self._client = client
        self._slots = asyncio.Semaphore(max_concurrency)
        self._budget = budget

    async def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        if self._budget is not None:
            await self._budget.acquire()
        try:
            async with self._slots:
                response = await self._client.request(
                    method, url, json=json, content=content, params=params, headers=headers
                )
        except httpx.TransportError as error:
            raise RetryableDeliveryError(f"CRM unreachable: {error!r}") from error
        if self._budget is not None:
            await self._budget.observe(rate_signal(response))
        return response
