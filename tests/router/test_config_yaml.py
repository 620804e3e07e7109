"""Config as code: the whole set-up as one YAML document, validated before anything is
written, applied in one transaction, and exported back the same."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import ruamel.yaml
import yaml

from leadrouter_router.config.schemas import SetupDocument
from tests.router.api_support import ADMIN, READ, keyed_router

YAML = {"Content-Type": "application/yaml"}

SETUP = """
version: 1
teams:
  - name: emea
    description: Europe, Middle East and Africa
  - name: enterprise
salespeople:
  - name: María López
    email: maria.lopez@example.com
    crm_user_id: crm-101
    teams: [emea]
    languages: [es, en]
    skills: [crm]
    seniority: 2
    time_zone: Europe/Madrid
    working_hours:
      mon: ["09:00-14:00", "15:00-18:00"]
      fri: ["09:00-15:00"]
    holidays: ["2026-12-25"]
    out_of_office:
      - {start: "2026-08-01T00:00:00Z", end: "2026-08-15T00:00:00Z"}
    max_new_per_day: 20
    max_open: 60
    weight: 2
  - name: Jonas Becker
    email: jonas.becker@example.com
    teams: [emea, enterprise]
    languages: [de, en]
    seniority: 3
    time_zone: Europe/Berlin
territories:
  - name: Iberia
    countries: [ES, PT]
    postal_prefixes: ["28", "08"]
policies:
  - name: default
    rules:
      - name: big companies
        when:
          - {field: employees, op: gte, value: 1000}
        pool: enterprise
        strategy: least_open_leads
      - name: Iberia
        when:
          - {field: territory, op: eq, value: Iberia}
        pool: emea
        strategy: weighted
    fallback:
      pool: emea
      owner_email: jonas.becker@example.com
    seniority_by_grade: {A: 3}
campaigns:
  - campaign_id: spring-demo
    name: Spring demo
    product_line: crm
    policy: default
    scoring: {version: spring-1, mql_threshold: 60}
    sales_kit:
      talk_track: Ask how they track leads today.
      materials:
        - {title: Deck, url: "https://example.com/deck.pdf"}
    sla: {accept_within_minutes: 60}
"""


@pytest.fixture
async def client(
    kafka: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    async with keyed_router(kafka, tmp_path_factory.mktemp("yaml")) as (running, _):
        yield running


def canonical(text: str) -> dict[str, object]:
    """The document as the API reads it (defaults filled in) for comparison."""
    document: dict[str, object] = SetupDocument.model_validate(yaml.safe_load(text)).model_dump(
        mode="json"
    )
    return document


async def test_the_setup_round_trips_through_yaml(client: httpx.AsyncClient) -> None:
    imported = await client.put("/v1/config", content=SETUP.encode(), headers={**ADMIN, **YAML})
    assert imported.status_code == 200, imported.text
    assert imported.json()["salespeople"] == 2

    exported = await client.get("/v1/config", headers=ADMIN)
    assert exported.headers["content-type"] == "application/yaml"
    assert canonical(exported.text) == canonical(SETUP)

    again = await client.put(
        "/v1/config", content=exported.text.encode(), headers={**ADMIN, **YAML}
    )
    assert again.status_code == 200
    policy = (await client.get("/v1/policies/default", headers=READ)).json()["items"]
    assert [p["version"] for p in policy] == [1], "an unchanged policy gets no new version"
    campaign = (await client.get("/v1/campaigns/spring-demo", headers=READ)).json()
    assert campaign["version"] == 1


async def test_an_invalid_document_writes_nothing_and_names_every_problem(
    client: httpx.AsyncClient,
) -> None:
    broken = SETUP.replace("pool: enterprise", "pool: nobody").replace(
        "owner_email: jonas.becker@example.com", "owner_email: ghost@example.com"
    )
    response = await client.put("/v1/config", content=broken.encode(), headers={**ADMIN, **YAML})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert sorted(p["name"] for p in response.json()["invalid-params"]) == [
        "policies.0.fallback.owner_email",
        "policies.0.rules.0.pool",
    ]
    assert (await client.get("/v1/salespeople", headers=READ)).json()["items"] == []
    assert (await client.get("/v1/teams", headers=READ)).json()["items"] == []


async def test_a_document_that_is_not_yaml_or_not_the_schema_is_refused(
    client: httpx.AsyncClient,
) -> None:
    not_yaml = await client.put("/v1/config", content=b"teams: [", headers={**ADMIN, **YAML})
    assert not_yaml.status_code == 422
    unknown = await client.put(
        "/v1/config", content=b"version: 1\nrobots: []\n", headers={**ADMIN, **YAML}
    )
    assert unknown.status_code == 422
    assert [p["name"] for p in unknown.json()["invalid-params"]] == ["robots"]
    as_json = await client.put("/v1/config", json={}, headers=ADMIN)
    assert as_json.status_code == 415


async def test_prune_removes_what_the_document_no_longer_names(client: httpx.AsyncClient) -> None:
    await client.put("/v1/config", content=SETUP.encode(), headers={**ADMIN, **YAML})
    smaller = yaml.safe_load(SETUP)
    smaller["salespeople"] = [p for p in smaller["salespeople"] if p["name"] == "Jonas Becker"]
    smaller["salespeople"][0]["teams"] = ["enterprise"]
    smaller["teams"] = [{"name": "enterprise"}]
    smaller["territories"] = []
    smaller["policies"][0]["rules"] = smaller["policies"][0]["rules"][:1]
    smaller["policies"][0]["fallback"] = {"owner_email": "jonas.becker@example.com"}
    response = await client.put(
        "/v1/config?prune=true",
        content=yaml.safe_dump(smaller).encode(),
        headers={**ADMIN, **YAML},
    )
    assert response.status_code == 200, response.text
    assert response.json()["pruned"] == 3  # María left, team emea and territory Iberia removed
    people = (await client.get("/v1/salespeople", headers=READ)).json()["items"]
    assert {p["email"]: p["status"] for p in people} == {
        "maria.lopez@example.com": "left",
        "jonas.becker@example.com": "active",
    }


# Strings that some YAML reader takes for a number, a boolean, null or a date when
# written plain: YAML 1.1 (PyYAML) https://yaml.org/type/ and 1.2 core schema
# https://yaml.org/spec/1.2.2/#1032-tag-resolution
TYPED_LOOKING = [
    "1e+100", "yes", "on", "Off", "y", "N", "0x10", "012", "0o17", "1_000", "1:20",
    "~", "null", "true", ".inf", "-.5e3", "+1", "2026-12-25", "2026-12-25T10:00:00Z",
]  # fmt: skip


async def test_the_export_reads_back_the_same_in_yaml_1_1_and_1_2_readers(
    client: httpx.AsyncClient,
) -> None:
    setup = yaml.safe_load(SETUP)
    setup["teams"] += [
        {"name": f"team {value}", "description": value} for value in TYPED_LOOKING
    ] + [{"name": value} for value in TYPED_LOOKING]
    setup["salespeople"][0]["crm_user_id"] = "0x10"
    setup["territories"][0]["postal_prefixes"] = ["012", "08", "1e+100"]
    imported = await client.put(
        "/v1/config",
        content=yaml.safe_dump(setup).encode(),
        headers={**ADMIN, **YAML},
    )
    assert imported.status_code == 200, imported.text

    exported = (await client.get("/v1/config", headers=ADMIN)).text
    as_1_1 = yaml.safe_load(exported)
    as_1_2 = ruamel.yaml.YAML(typ="safe", pure=True).load(exported)  # ruamel.yaml: YAML 1.2
    assert as_1_2 == as_1_1
    descriptions = {team["name"]: team.get("description") for team in as_1_1["teams"]}
    assert {descriptions[f"team {value}"] for value in TYPED_LOOKING} == set(TYPED_LOOKING)
    assert set(TYPED_LOOKING) <= set(descriptions)
    assert as_1_1["territories"][0]["postal_prefixes"] == ["012", "08", "1e+100"]

    def teams(text: str) -> list[Any]:
        found: list[Any] = canonical(text)["teams"]  # type: ignore[assignment]
        return sorted(found, key=lambda team: team["name"])

    assert teams(exported) == teams(yaml.safe_dump(setup))


async def test_a_nested_or_nul_bearing_document_is_refused_with_a_problem(
    client: httpx.AsyncClient,
) -> None:
    deep = await client.put("/v1/config", content=b"[" * 50_000, headers={**ADMIN, **YAML})
    assert deep.status_code == 422, deep.text
    assert deep.headers["content-type"] == "application/problem+json"
    nul = await client.put(
        "/v1/config",
        content=b'version: 1\nteams:\n  - name: "em\\0ea"\n',
        headers={**ADMIN, **YAML},
    )
    assert nul.status_code == 422, nul.text
    assert [p["name"] for p in nul.json()["invalid-params"]] == ["teams.0.name"]
