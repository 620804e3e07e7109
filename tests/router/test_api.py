"""The REST API: API keys and scopes, body validation, CRUD, pages, the what-if simulation."""

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from leadrouter_schemas import decode_as, topics
from leadrouter_schemas.campaigns import CampaignConfigured
from tests.router.api_support import ADMIN, ADMIN_KEY, CRM, READ, keyed_router, unique
from tests.support.kafka import wait_for_records
from tests.support.samples import lead, score

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
async def api(
    kafka: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    async with keyed_router(kafka, tmp_path_factory.mktemp("api")) as running:
        yield running


@pytest.fixture
def client(api: tuple[httpx.AsyncClient, str]) -> httpx.AsyncClient:
    return api[0]


def person_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Grace Hopper",
        "email": f"{unique('grace')}@example.com",
        "languages": ["en"],
        "time_zone": "America/New_York",
        "working_hours": {"mon": ["09:00-17:00"], "tue": ["09:00-12:00", "13:00-17:00"]},
    }
    return {**body, **changes}


async def test_without_a_key_reading_and_writing_are_401_problems(
    client: httpx.AsyncClient,
) -> None:
    for response in (
        await client.get("/v1/salespeople"),
        await client.post("/v1/salespeople", json=person_body()),
    ):
        assert response.status_code == 401
        assert response.headers["content-type"] == PROBLEM
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_an_unknown_key_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/leads", headers={"X-API-Key": ADMIN_KEY + "x"})
    assert response.status_code == 401


@pytest.mark.parametrize("headers", [READ, CRM])
async def test_keys_without_the_admin_scope_read_but_cannot_write(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    assert (await client.get("/v1/salespeople", headers=headers)).status_code == 200
    refused = await client.post("/v1/teams", json={"name": unique("t")}, headers=headers)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == PROBLEM
    assert "admin scope" in refused.json()["detail"]


async def test_a_bearer_token_is_a_key_too(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/teams", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", "00000000-0000-0000-0000-000000000001"),
        ("created_at", "2026-01-01T00:00:00Z"),
        ("favourite_colour", "blue"),
    ],
)
async def test_unknown_fields_and_fields_the_router_sets_are_refused(
    client: httpx.AsyncClient, field: str, value: str
) -> None:
    response = await client.post(
        "/v1/salespeople", json=person_body(**{field: value}), headers=ADMIN
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert [p["name"] for p in response.json()["invalid-params"]] == [field]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"working_hours": {"mon": ["17:00-09:00"]}}, "working_hours.mon.0"),
        ({"working_hours": {"someday": ["09:00-17:00"]}}, "working_hours.someday.[key]"),
        ({"max_open": -1}, "max_open"),
        ({"status": "sleeping"}, "status"),
    ],
)
async def test_invalid_availability_and_capacity_are_422(
    client: httpx.AsyncClient, changes: dict[str, Any], field: str
) -> None:
    response = await client.post("/v1/salespeople", json=person_body(**changes), headers=ADMIN)
    assert response.status_code == 422
    assert field in [p["name"] for p in response.json()["invalid-params"]]


async def test_a_body_that_is_not_json_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/teams", content=b"name=x", headers={**ADMIN, "Content-Type": "text/plain"}
    )
    assert response.status_code == 415


async def test_salespeople_are_created_changed_and_marked_gone(client: httpx.AsyncClient) -> None:
    team = unique("emea")
    assert (await client.post("/v1/teams", json={"name": team}, headers=ADMIN)).status_code == 201
    created = await client.post("/v1/salespeople", json=person_body(teams=[team]), headers=ADMIN)
    assert created.status_code == 201, created.text
    person = created.json()
    assert person["teams"] == [team]
    assert person["status"] == "active"

    patched = await client.patch(
        f"/v1/salespeople/{person['id']}",
        json={
            "max_new_per_day": 5,
            "out_of_office": [{"start": "2026-12-20T00:00:00Z", "end": "2027-01-07T00:00:00Z"}],
            "holidays": ["2026-12-25"],
        },
        headers=ADMIN,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["max_new_per_day"] == 5
    assert patched.json()["holidays"] == ["2026-12-25"]
    assert patched.json()["working_hours"] == person["working_hours"], "untouched by PATCH"

    null_status = await client.patch(
        f"/v1/salespeople/{person['id']}", json={"status": None}, headers=ADMIN
    )
    assert null_status.status_code == 422

    teams = (await client.get("/v1/teams", headers=READ)).json()["items"]
    assert [t["members"] for t in teams if t["name"] == team] == [[person["id"]]]

    gone = await client.delete(f"/v1/salespeople/{person['id']}", headers=ADMIN)
    assert gone.status_code == 204
    fetched = (await client.get(f"/v1/salespeople/{person['id']}", headers=READ)).json()
    assert (fetched["status"], fetched["teams"]) == ("left", [])


async def test_a_second_salesperson_with_the_same_email_is_a_409(client: httpx.AsyncClient) -> None:
    body = person_body()
    assert (await client.post("/v1/salespeople", json=body, headers=ADMIN)).status_code == 201
    again = await client.post("/v1/salespeople", json=body, headers=ADMIN)
    assert again.status_code == 409
    assert again.headers["content-type"] == PROBLEM


async def test_an_unknown_team_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/salespeople", json=person_body(teams=["nowhere"]), headers=ADMIN
    )
    assert response.status_code == 422
    assert "nowhere" in response.json()["detail"]


async def test_policies_are_versioned_and_must_name_existing_pools(
    client: httpx.AsyncClient,
) -> None:
    name, team = unique("policy"), unique("team")
    await client.post("/v1/teams", json={"name": team}, headers=ADMIN)
    document = {"rules": [{"name": "all", "pool": team, "strategy": "weighted"}]}
    first = await client.put(f"/v1/policies/{name}", json=document, headers=ADMIN)
    same = await client.put(f"/v1/policies/{name}", json=document, headers=ADMIN)
    changed = await client.put(
        f"/v1/policies/{name}", json={**document, "allow_after_hours": True}, headers=ADMIN
    )
    assert [r.json()["version"] for r in (first, same, changed)] == [1, 1, 2]
    versions = (await client.get(f"/v1/policies/{name}", headers=READ)).json()["items"]
    assert [v["version"] for v in versions] == [2, 1]

    unknown_pool = await client.put(
        f"/v1/policies/{name}", json={"rules": [{"name": "x", "pool": "ghosts"}]}, headers=ADMIN
    )
    assert unknown_pool.status_code == 422
    bad_rule = await client.put(
        f"/v1/policies/{name}",
        json={"rules": [{"name": "x", "pool": team, "when": [{"field": "shoe_size"}]}]},
        headers=ADMIN,
    )
    assert bad_rule.status_code == 422


async def test_a_campaign_change_is_a_new_version_published_to_the_scorer(
    api: tuple[httpx.AsyncClient, str], kafka: str
) -> None:
    client, prefix = api
    campaign_id = unique("spring")
    body = {
        "name": "Spring demo",
        "product_line": "crm",
        "scoring": {"version": "spring-1", "mql_threshold": 60},
        "sales_kit": {
            "talk_track": "Ask about their current CRM.",
            "materials": [{"title": "Deck", "url": "https://example.com/deck.pdf"}],
            "case_studies": [{"title": "Acme", "summary": "Closed 30% faster."}],
        },
        "sla": {"accept_within_minutes": 60, "by_grade": {"A": {"accept_within_minutes": 15}}},
    }
    created = await client.post(
        "/v1/campaigns", json={**body, "campaign_id": campaign_id}, headers=ADMIN
    )
    assert created.status_code == 201, created.text
    changed = await client.put(
        f"/v1/campaigns/{campaign_id}", json={**body, "name": "Spring demo 2"}, headers=ADMIN
    )
    assert (created.json()["version"], changed.json()["version"]) == (1, 2)

    records = await wait_for_records(kafka, prefix + topics.CAMPAIGNS_CONFIG, 2)
    published = [
        decode_as(r.value, CampaignConfigured) for r in records if r.key == campaign_id.encode()
    ]
    assert [(p.data.campaign.version, p.data.campaign.name) for p in published] == [
        (1, "Spring demo"),
        (2, "Spring demo 2"),
    ]
    assert published[0].data.campaign.scoring is not None
    assert published[0].data.campaign.scoring.mql_threshold == 60

    unknown = await client.put(
        f"/v1/campaigns/{campaign_id}",
        json={**body, "scoring": {"version": "x", "made_up": 1}},
        headers=ADMIN,
    )
    assert unknown.status_code == 422


async def test_simulation_routes_through_a_candidate_policy_and_writes_nothing(
    client: httpx.AsyncClient,
) -> None:
    team = unique("sim")
    await client.post("/v1/teams", json={"name": team}, headers=ADMIN)
    people = [
        (await client.post("/v1/salespeople", json=person_body(teams=[team]), headers=ADMIN)).json()
        for _ in range(2)
    ]
    leads_before = (await client.get("/v1/leads", headers=READ)).json()["items"]
    one = {
        "lead": lead(f"{unique('sim')}@sim.example").model_dump(mode="json"),
        "score": score().model_dump(mode="json"),
    }
    other = {
        "lead": lead(f"{unique('sim')}@other.example").model_dump(mode="json"),
        "score": score().model_dump(mode="json"),
    }
    for item in (one, other):
        item["lead"]["company"] = {"name": unique("co")}
    response = await client.post(
        "/v1/routing/simulate",
        json={
            "leads": [one, other],
            "policy": {"rules": [{"name": "sim", "pool": team}], "allow_after_hours": True},
            "at": "2026-11-25T15:00:00Z",
        },
        headers=READ,
    )
    assert response.status_code == 200, response.text
    decisions = response.json()["decisions"]
    assert [d["salesperson_id"] for d in decisions] == [p["id"] for p in people]
    assert decisions[0]["record"]["policy"] == {"name": "candidate", "version": 1}
    assert (await client.get("/v1/leads", headers=READ)).json()["items"] == leads_before


async def test_an_invalid_cursor_is_a_400_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/leads", params={"cursor": "bm90IGEgY3Vyc29y"}, headers=READ)
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM


async def test_page_size_is_capped(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/assignments", params={"limit": 1000}, headers=READ)
    assert response.status_code == 422


async def test_the_openapi_document_names_every_error_and_the_key(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    assert "APIKeyHeader" in document["components"]["securitySchemes"]
    missing = []
    for path, operations in document["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in operations.items():
            codes = set(operation["responses"])
            if not {"401", "403"} <= codes:
                missing.append(f"{method} {path}: {sorted(codes)}")
            if method in ("post", "put", "patch") and "422" not in codes:
                missing.append(f"{method} {path}: no 422")
    assert missing == []
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(document)))
    assert "SetupDocument" in refs
    assert refs <= set(document["components"]["schemas"]), "every $ref resolves"
