"""What a CRM's answer means for the relay: delivered, retry later, or failed for good."""

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from leadrouter_router.crm.budget import RateSignal
from leadrouter_router.platform.outbox import PermanentDeliveryError, RetryableDeliveryError

# Salesforce's per-org allocation is over: no Retry-After, the allocation is per rolling
# 24 hours. The relay tries again this much later (and the shared budget waits as long).
SALESFORCE_LIMIT_WAIT_S = 600.0
_API_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


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


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def request_limit_exceeded(response: httpx.Response) -> bool:
    """Salesforce's answer once the org's API allocation is used up (403)."""
    return response.status_code == 403 and "REQUEST_LIMIT_EXCEEDED" in response.text


def rate_signal(response: httpx.Response) -> RateSignal:
    """What an answer says about the account's request budget (budget.py):
    HubSpot's ``X-HubSpot-RateLimit-Remaining`` and ``-Interval-Milliseconds``,
    Salesforce's ``Sforce-Limit-Info: api-usage=<used>/<allocation>``, a 429's
    ``Retry-After`` (else the rest of HubSpot's interval), ``REQUEST_LIMIT_EXCEEDED``."""
    headers = response.headers
    remaining = _number(headers.get("X-HubSpot-RateLimit-Remaining"))
    blocked = None
    if response.status_code == 429:
        blocked = retry_after_s(headers.get("Retry-After"), now=datetime.now(UTC))
        if blocked is None:
            interval_ms = _number(headers.get("X-HubSpot-RateLimit-Interval-Milliseconds"))
            blocked = interval_ms / 1000 if interval_ms is not None else 1.0
    usage = _API_USAGE.search(headers.get("Sforce-Limit-Info", ""))
    if usage is not None:
        remaining = max(0.0, float(usage.group(2)) - float(usage.group(1)))
        if remaining == 0:
            blocked = SALESFORCE_LIMIT_WAIT_S
    if request_limit_exceeded(response):
        blocked = SALESFORCE_LIMIT_WAIT_S
    return RateSignal(remaining=remaining, blocked_for_s=blocked)


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
    if request_limit_exceeded(response):
        raise RetryableDeliveryError(
            answer, retry_after_s=SALESFORCE_LIMIT_WAIT_S, rate_limited=True
        )
    if response.is_redirect:
        location = response.headers.get("Location", "?")
        raise PermanentDeliveryError(
            f"CRM ({crm}) redirected ({response.status_code}) to {location}: redirects are not "
            "followed, configure the final URL"
        )
    raise PermanentDeliveryError(answer)
