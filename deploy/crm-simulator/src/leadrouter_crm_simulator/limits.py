"""The CRMs' documented request limits, enforced when the simulator runs in a limit mode
(``--mode hubspot-limits`` / ``salesforce-limits``, or ``PUT /control/limits``).

HubSpot, "API usage guidelines and limits"
(https://developers.hubspot.com/docs/api/usage-details) and its changelog:

- a rolling 10-second window per app and account: 100 requests for Free/Starter, 190
  for Professional/Enterprise ("Increasing our API limits",
  https://developers.hubspot.com/changelog/increasing-our-api-limits); a daily limit
  (250,000 / 650,000 / 1,000,000);
- the CRM search endpoints apart, per token: 4 requests/s in "CRM Search API rate limit
  increase" (https://developers.hubspot.com/changelog/crm-search-api-rate-limit-increase),
  5/s as integrators quote it today (e.g. PipedreamHQ/pipedream#18215; the search
  guide, https://developers.hubspot.com/docs/api/crm/search, is the reference, not in
  our sources); the simulator's default is 5, settable;
- over a limit: 429 with ``{"status": "error", "message": "You have reached your
  ten_secondly_rolling limit.", "errorType": "RATE_LIMIT", "correlationId": ...,
  "policyName": "TEN_SECONDLY_ROLLING", "requestId": ...}`` (the daily one says
  "daily limit" and ``DAILY``); every answer carries ``X-HubSpot-RateLimit-Max``,
  ``-Remaining``, ``-Interval-Milliseconds``, ``-Daily`` and ``-Daily-Remaining``.
  HubSpot does not document a ``Retry-After`` on that 429; the simulator adds one (the
  seconds until the window has room) unless ``retry_after`` is off, so both paths of
  the router (the header, the interval headers) are exercised;
- batch endpoints take at most 100 inputs (the batch endpoints' reference pages); more
  is a 400 ``VALIDATION_ERROR`` (the message is the simulator's wording).

Salesforce (https://developer.salesforce.com/docs/platform/salesforce-app-limits-cheatsheet/guide/salesforce-app-limits-platform-api.html,
"API Request Limits and Allocations"): a per-org allocation of requests per 24 hours;
over it every call is answered 403 ``[{"message": "TotalRequests Limit exceeded.",
"errorCode": "REQUEST_LIMIT_EXCEEDED"}]``; each answer carries ``Sforce-Limit-Info:
api-usage=<used>/<allocation>`` (the REST API's "Limit Info Header",
https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_api_usage.htm).
sObject Collections take at most 200 records
(https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_upsert.htm);
more is a 400 ``EXCEEDED_ID_LIMIT``.
"""

import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field

Mode = Literal["off", "hubspot-limits", "salesforce-limits"]


class Limits(BaseModel):
    """What the simulator enforces; ``PUT /control/limits`` replaces it (counters reset)."""

    mode: Mode = "off"
    window_s: float = Field(default=10.0, gt=0, description="HubSpot's rolling window.")
    window_requests: int = Field(default=100, ge=1, description="Per window (100 or 190).")
    search_per_s: int = Field(default=5, ge=1, description="HubSpot search, per token.")
    daily_requests: int = Field(
        default=250_000, ge=1, description="HubSpot's daily limit / Salesforce's allocation."
    )
    hubspot_batch_inputs: int = Field(default=100, ge=1)
    salesforce_collection_records: int = Field(default=200, ge=1)
    search_lag_s: float = Field(
        default=3.0, ge=0, description="A record is found by search only this long after a write."
    )
    retry_after: bool = Field(default=True, description="Add Retry-After to HubSpot's 429.")


class Refusal(BaseModel):
    status: int
    body: object
    headers: dict[str, str]


@dataclass
class LimitState:
    limits: Limits = field(default_factory=Limits)
    window: dict[str, deque[float]] = field(default_factory=dict)  # per token
    searches: dict[str, deque[float]] = field(default_factory=dict)  # per token
    used_today: int = 0
    refused: int = 0  # 429s and REQUEST_LIMIT_EXCEEDED answered

    def set(self, limits: Limits) -> None:
        self.limits, self.window, self.searches = limits, {}, {}
        self.used_today = self.refused = 0

    # -- HubSpot -------------------------------------------------------------------------

    def hubspot(self, token: str, *, search: bool, now: float | None = None) -> Refusal | None:
        """Count one HubSpot request; a refusal (429) if it is over a limit."""
        if self.limits.mode != "hubspot-limits":
            return None
        now = time.monotonic() if now is None else now
        limits = self.limits
        window = self.window.setdefault(token, deque())
        while window and window[0] <= now - limits.window_s:
            window.popleft()
        if self.used_today >= limits.daily_requests:
            return self._rate_limited("daily", "DAILY", retry_after_s=3600, token=token)
        if len(window) >= limits.window_requests:
            wait = window[0] + limits.window_s - now
            return self._rate_limited(
                "ten_secondly_rolling", "TEN_SECONDLY_ROLLING", retry_after_s=wait, token=token
            )
        if search:
            searches = self.searches.setdefault(token, deque())
            while searches and searches[0] <= now - 1.0:
                searches.popleft()
            if len(searches) >= limits.search_per_s:
                wait = searches[0] + 1.0 - now
                return self._rate_limited(
                    "secondly", "SECONDLY", retry_after_s=wait, token=token, search=True
                )
            searches.append(now)
        window.append(now)
        self.used_today += 1
        return None

    def hubspot_headers(self, token: str) -> dict[str, str]:
        if self.limits.mode != "hubspot-limits":
            return {}
        limits = self.limits
        window = self.window.get(token, deque())
        return {
            "X-HubSpot-RateLimit-Max": str(limits.window_requests),
            "X-HubSpot-RateLimit-Remaining": str(max(0, limits.window_requests - len(window))),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(limits.window_s * 1000)),
            "X-HubSpot-RateLimit-Daily": str(limits.daily_requests),
            "X-HubSpot-RateLimit-Daily-Remaining": str(
                max(0, limits.daily_requests - self.used_today)
            ),
        }

    def _rate_limited(
        self, limit: str, policy: str, *, retry_after_s: float, token: str, search: bool = False
    ) -> Refusal:
        self.refused += 1
        headers = self.hubspot_headers(token)
        if self.limits.retry_after:
            headers["Retry-After"] = str(max(1, round(retry_after_s + 0.49)))
        message = (
            "You have reached your secondly limit."  # the search endpoints' own limit
            if search
            else f"You have reached your {limit} limit."
        )
        return Refusal(
            status=429,
            body={
                "status": "error",
                "message": message,
                "errorType": "RATE_LIMIT",
                "correlationId": str(uuid.uuid4()),
                "policyName": policy,
                "requestId": str(uuid.uuid4()),
            },
            headers=headers,
        )

    def hubspot_batch(self, inputs: int) -> Refusal | None:
        if self.limits.mode != "hubspot-limits" or inputs <= self.limits.hubspot_batch_inputs:
            return None
        return Refusal(
            status=400,
            body={
                "status": "error",
                "message": f"Too many inputs: {inputs} given, at most "
                f"{self.limits.hubspot_batch_inputs} are allowed.",
                "correlationId": str(uuid.uuid4()),
                "category": "VALIDATION_ERROR",
            },
            headers={},
        )

    # -- Salesforce ----------------------------------------------------------------------

    def salesforce(self) -> Refusal | None:
        """Count one Salesforce request against the org's allocation."""
        if self.limits.mode != "salesforce-limits":
            return None
        if self.used_today >= self.limits.daily_requests:
            self.refused += 1
            return Refusal(
                status=403,
                body=[
                    {
                        "message": "TotalRequests Limit exceeded.",
                        "errorCode": "REQUEST_LIMIT_EXCEEDED",
                    }
                ],
                headers=self.salesforce_headers(),
            )
        self.used_today += 1
        return None

    def salesforce_headers(self) -> dict[str, str]:
        if self.limits.mode != "salesforce-limits":
            return {}
        return {"Sforce-Limit-Info": f"api-usage={self.used_today}/{self.limits.daily_requests}"}

    def salesforce_collection(self, records: int) -> Refusal | None:
        if (
            self.limits.mode != "salesforce-limits"
            or records <= self.limits.salesforce_collection_records
        ):
            return None
        return Refusal(
            status=400,
            body=[
                {
                    "message": "record limit reached. cannot submit more than "
                    f"{self.limits.salesforce_collection_records} records into this call",
                    "errorCode": "EXCEEDED_ID_LIMIT",
                }
            ],
            headers=self.salesforce_headers(),
        )
