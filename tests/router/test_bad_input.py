"""Input no layer behind the API can hold (real broker, SQLite and PostgreSQL): refused
at the edge with a 4xx problem document, never a 500, and the connection stays usable."""

from collections.abc import AsyncIterator

import httpx
import pytest

from leadrouter_schemas import CampaignConfigured, decode_as
from leadrouter_schemas.topics import CAMPAIGNS_CONFIG
from tests.router.api_support import ADMIN, READ, keyed_settings
from tests.router.conftest import running_router
from tests.support.kafka import wait_for_records

PROBLEM = "application/problem+json"


@pytest.fixture
async def client(
    kafka: str, topic_prefix: str, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    settings = keyed_settings(
        kafka=kafka,
        prefix=topic_prefix,
        database_url=database_url,
        crm_url="http://127.0.0.1:9/assignments",
    )
    async with running_router(settings) as running:
        yield running


def assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert "Traceback" not in response.text


async def test_json_nested_50000_levels_deep_is_a_400(client: httpx.AsyncClient) -> None:
    body = b"[" * 50_000 + b"]" * 50_000
    for path in (
        "/v1/teams",
        "/v1/campaigns",
        "/v1/leads/00000000-0000-4000-8000-000000000000/accept",
    ):
        response = await client.post(
            path, content=body, headers={**ADMIN, "Content-Type": "application/json"}
        )
        assert_problem(response, 400)
        assert "nested deeper" in response.json()["detail"]


async def test_nul_in_a_body_a_query_or_a_path_is_a_422_and_the_connection_lives_on(
    client: httpx.AsyncClient,
) -> None:
    in_body = await client.post("/v1/teams", json={"name": "em\x00ea"}, headers=ADMIN)
    in_key = await client.post(
        "/v1/leads/00000000-0000-4000-8000-000000000000/accept",
        json={"event_id": "crm\x00-1"},
        headers=ADMIN,
    )
    in_query = await client.get("/v1/leads", params={"campaign_id": "spring\x00"}, headers=READ)
    in_path = await client.get("/v1/campaigns/spring%00demo", headers=READ)
    after = await client.post("/v1/teams", json={"name": "emea"}, headers=ADMIN)

    assert_problem(in_body, 422)
    assert [p["name"] for p in in_body.json()["invalid-params"]] == ["name"]
    assert_problem(in_key, 422)
    assert_problem(in_query, 422)
    assert [p["name"] for p in in_query.json()["invalid-params"]] == ["campaign_id"]
    assert_problem(in_path, 422)
    assert after.status_code == 201, after.text


async def test_a_campaign_id_of_the_longest_allowed_length_is_stored_and_published(
    client: httpx.AsyncClient, kafka: str, topic_prefix: str
) -> None:
    campaign_id = "c" * 200
    created = await client.post(
        "/v1/campaigns", json={"campaign_id": campaign_id, "name": "Long"}, headers=ADMIN
    )
    too_long = await client.post(
        "/v1/campaigns", json={"campaign_id": "c" * 201, "name": "Longer"}, headers=ADMIN
    )
    policy_too_long = await client.post(
        "/v1/campaigns",
        json={"campaign_id": "p", "name": "P", "policy": "p" * 201},
        headers=ADMIN,
    )

    assert created.status_code == 201, created.text
    assert_problem(too_long, 422)
    assert_problem(policy_too_long, 422)
    (record,) = await wait_for_records(kafka, topic_prefix + CAMPAIGNS_CONFIG, 1)
    event = decode_as(record.value, CampaignConfigured)
    assert event.data.campaign.campaign_id == campaign_id
    assert len(event.correlation_id) <= 128


@pytest.mark.parametrize(
    "params",
    [
        {"received_from": "9999-12-31T23:59:59-23:59"},
        {"received_until": "0001-01-01T00:00:00+01:00"},
    ],
)
async def test_a_time_filter_out_of_range_is_a_422(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    assert_problem(await client.get("/v1/leads", params=params, headers=READ), 422)
    report = await client.get(
        "/v1/reports/funnel", params={"to": "0001-01-02T00:00:00Z"}, headers=READ
    )
    assert_problem(report, 422)


async def test_a_body_over_the_limit_is_a_413(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/teams",
        content=b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}',
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    assert_problem(response, 413)


async def test_a_campaign_put_under_an_id_the_body_would_refuse_is_a_422(
    client: httpx.AsyncClient,
) -> None:
    refused = await client.put("/v1/campaigns/%02", json={"name": "Odd"}, headers=ADMIN)
    exported = await client.get("/v1/config", headers=ADMIN)

    assert_problem(refused, 422)
    assert exported.status_code == 200, exported.text
