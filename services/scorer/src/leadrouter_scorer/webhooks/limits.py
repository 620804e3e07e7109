"""How much intake one scorer process takes, and from whom (decision 0103).

Authentic traffic is not rate-limited: a campaign burst is what we are for. What bounds
it is the pipeline: at most ``max_in_flight`` requests are being read, checked and
published at once; past that the answer is 503 with ``Retry-After`` (every platform
retries a 5xx), and only then. Traffic that fails authentication (a bad or missing
signature, an unknown source) draws on a small budget per source; once it is spent,
such requests are answered 429 with ``Retry-After`` instead of 401/403/404, so a
misconfigured or hostile sender is told to back off, while authentic requests to the
same source never touch that budget.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from leadrouter_scorer.webhooks.config import WebhookSettings
from leadrouter_scorer.webhooks.problems import Saturated, TooManyRequests
from leadrouter_scorer.webhooks.ratelimit import TokenBucket, retry_after_header

UNAUTHENTIC_STATUSES = frozenset({401, 403, 404})


class IntakeLimits:
    def __init__(self, settings: WebhookSettings, *, monotonic: Callable[[], float]) -> None:
        self.settings = settings
        self._monotonic = monotonic
        self._in_flight = 0
        self._unauthentic: dict[str, TokenBucket] = {}

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @contextmanager
    def slot(self) -> Iterator[None]:
        """One request in flight; 503 when ``max_in_flight`` are already."""
        if self._in_flight >= self.settings.max_in_flight:
            raise Saturated(
                f"{self._in_flight} requests are being stored; send it again shortly.",
                headers={"Retry-After": "1"},
            )
        self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1

    def unauthentic(self, source: str) -> TooManyRequests | None:
        """Count one request of ``source`` that failed authentication: the 429 to answer
        instead once the source's budget is spent, else None (answer as it is)."""
        bucket = self._unauthentic.get(source)
        if bucket is None:
            bucket = TokenBucket(
                self.settings.unauthenticated_per_second, self.settings.unauthenticated_burst
            )
            self._unauthentic[source] = bucket
        wait_s = bucket.take(self._monotonic())
        if wait_s <= 0:
            return None
        return TooManyRequests(
            f"Too many unauthenticated requests for {source}; retry later.",
            headers={"Retry-After": retry_after_header(wait_s)},
        )
