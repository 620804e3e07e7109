"""What a CRM's answer means for the relay: delivered, retry later, or failed for good."""

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from leadrouter_router.platform.outbox import PermanentDeliveryError, RetryableDeliveryError


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


def raise_for_answer(response: httpx.Response, *, crm: str) -> None:
    """Nothing for a success; otherwise the error the relay acts on."""
    if response.is_success:
        return
    answer = f"CRM answered {response.status_code} ({crm}): {response.text[:500]}"
    if response.status_code == 429 or response.status_code >= 500:
        raise RetryableDeliveryError(
            answer,
            retry_after_s=retry_after_s(response.headers.get("Retry-After"), now=datetime.now(UTC)),
            rate_limited=response.status_code == 429,
        )
    if response.is_redirect:
        location = response.headers.get("Location", "?")
        raise PermanentDeliveryError(
            f"CRM ({crm}) redirected ({response.status_code}) to {location}: redirects are not "
            "followed, configure the final URL"
        )
    raise PermanentDeliveryError(answer)
