"""What the CRMs' answers say about the account's request budget (crm/answers.py), with
the headers and bodies the CRMs document (sources in docs/crm.md)."""

import httpx
import pytest

from leadrouter_router.crm.answers import (
    SALESFORCE_LIMIT_WAIT_S,
    raise_for_answer,
    rate_signal,
)
from leadrouter_router.crm.budget import RateSignal
from leadrouter_router.crm.client import account_of
from leadrouter_router.platform.outbox import RetryableDeliveryError
from leadrouter_router.settings import CrmSettings

HUBSPOT_HEADERS = {
    "X-HubSpot-RateLimit-Max": "100",
    "X-HubSpot-RateLimit-Remaining": "7",
    "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
}
TEN_SECONDLY = {
    "status": "error",
    "message": "You have reached your ten_secondly_rolling limit.",
    "errorType": "RATE_LIMIT",
    "correlationId": "c033cdaa-2c40-4a64-ae48-b4cec88dad24",
    "policyName": "TEN_SECONDLY_ROLLING",
    "requestId": "3d3e35b7-0dae-4b9f-a6e3-9c230cbcf8dd",
}
REQUEST_LIMIT = [
    {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
]


def test_hubspots_remaining_requests_lower_the_budget() -> None:
    answer = httpx.Response(200, headers=HUBSPOT_HEADERS, json={"results": []})
    assert rate_signal(answer) == RateSignal(remaining=7, blocked_for_s=None)


def test_a_429_blocks_for_its_retry_after_else_for_hubspots_interval() -> None:
    with_header = httpx.Response(
        429, headers={**HUBSPOT_HEADERS, "Retry-After": "4"}, json=TEN_SECONDLY
    )
    without = httpx.Response(429, headers=HUBSPOT_HEADERS, json=TEN_SECONDLY)

    assert rate_signal(with_header).blocked_for_s == 4
    assert rate_signal(without).blocked_for_s == 10


def test_salesforces_used_up_allocation_blocks_and_is_retried_not_failed() -> None:
    headers = {"Sforce-Limit-Info": "api-usage=15000/15000"}
    refused = httpx.Response(403, headers=headers, json=REQUEST_LIMIT)
    fine = httpx.Response(200, headers={"Sforce-Limit-Info": "api-usage=25/15000"}, json=[])

    assert rate_signal(refused).blocked_for_s == SALESFORCE_LIMIT_WAIT_S
    assert rate_signal(fine) == RateSignal(remaining=14975, blocked_for_s=None)
    with pytest.raises(RetryableDeliveryError) as raised:
        raise_for_answer(refused, crm="salesforce")
    assert raised.value.rate_limited
    assert raised.value.retry_after_s == SALESFORCE_LIMIT_WAIT_S


def test_a_generic_accounts_budget_row_names_no_credential_of_its_url() -> None:
    with_key = CrmSettings(url="https://hooks:s3cr3t@crm.example.com:8443/in?token=t0k3n")
    other_key = CrmSettings(url="https://hooks:other@crm.example.com:8443/in?token=t0k3n")
    plain = CrmSettings(url="https://crm.example.com/in")

    row = account_of(with_key)

    assert row.startswith("generic https://crm.example.com:8443/in #")
    for secret in ("s3cr3t", "t0k3n", "hooks"):
        assert secret not in row
    assert account_of(other_key) != row  # two credentials, two budgets
    assert account_of(plain) == "generic https://crm.example.com/in"
