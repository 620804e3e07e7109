"""``leadrouter config export|import`` and ``simulate`` against the real router (its
API, a SQLite file, the real broker), and the CSV reading on its own."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import yaml
from pydantic import SecretStr

from leadrouter_cli.api import decision_row, leads_from_csv
from leadrouter_cli.errors import ExitCode
from leadrouter_router.app import create_app
from leadrouter_router.settings import ApiKey, AuthSettings, DatabaseSettings, Settings
from leadrouter_schemas import Lead, Score
from tests.cli.conftest import invoke
from tests.support.kafka import service_kafka
from tests.support.servers import serving

ADMIN_KEY = "cli-admin-key-0123456789"
READ_KEY = "cli-read-key-0123456789"

SETUP = """\
version: 1
teams:
  - name: iberia
salespeople:
  - name: María López
    email: maria.lopez@example.com
    teams: [iberia]
    languages: [es, en]
    time_zone: Europe/Madrid
policies:
  - name: default
    rules:
      - name: everyone to Iberia
        pool: iberia
    allow_after_hours: true
campaigns:
  - campaign_id: spring-demo
    name: Spring demo
    policy: default
"""

CSV = """\
campaign_id,external_id,email,first_name,job_title,country,company,employees,score,interest
spring-demo,r-1,ada@example.com,Ada,CTO,ES,Analytical Engines,40,80,demo
,,Grace@Example.com,Grace,,US,,,,pricing
"""

NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


@pytest.fixture
async def router_url(kafka: str, topic_prefix: str, tmp_path: Path) -> AsyncIterator[str]:
    settings = Settings(
        kafka=service_kafka(kafka, topic_prefix, "router"),
        db=DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'router.db'}"),
        auth=AuthSettings(
            api_keys=[
                ApiKey(name="ops", key=SecretStr(ADMIN_KEY), scope="admin"),
                ApiKey(name="dashboard", key=SecretStr(READ_KEY), scope="read"),
            ]
        ),
    )
    async with serving(create_app(settings)) as base_url:
        yield base_url


async def test_the_setup_goes_in_and_comes_out_as_yaml(router_url: str, tmp_path: Path) -> None:
    setup = tmp_path / "setup.yaml"
    setup.write_text(SETUP, encoding="utf-8")
    exported = tmp_path / "exported.yaml"

    imported = await invoke(
        "config", "import", str(setup), "--router-url", router_url, "--api-key", ADMIN_KEY
    )
    result = await invoke(
        "config", "export", str(exported), "--router-url", router_url, "--api-key", ADMIN_KEY
    )

    assert imported.code == 0, imported
    assert f"routing set-up imported from {setup}: " in imported.stdout
    assert "1 salespeople" in imported.stdout
    assert result.code == 0, result
    document = yaml.safe_load(exported.read_text(encoding="utf-8"))
    assert [p["email"] for p in document["salespeople"]] == ["maria.lopez@example.com"]
    assert [c["campaign_id"] for c in document["campaigns"]] == ["spring-demo"]


async def test_the_router_refusing_a_document_or_a_key_is_said_so(
    router_url: str, tmp_path: Path
) -> None:
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text("version: 1\nsalespeople:\n  - name: Nobody\n", encoding="utf-8")

    refused = await invoke(
        "config", "import", str(invalid), "--router-url", router_url, "--api-key", ADMIN_KEY
    )
    no_key = await invoke("config", "export", "-", "--router-url", router_url)
    read_only = await invoke(
        "config", "import", str(invalid), "--router-url", router_url, "--api-key", READ_KEY
    )

    assert refused.code == ExitCode.FAILED, refused
    assert "PUT /v1/config answered 422" in refused.stderr
    assert no_key.code == ExitCode.FAILED, no_key
    assert "GET /v1/config answered 401" in no_key.stderr
    assert read_only.code == ExitCode.FAILED, read_only
    assert "answered 403" in read_only.stderr


async def test_simulate_shows_who_would_get_each_lead_and_writes_nothing(
    router_url: str, tmp_path: Path
) -> None:
    setup = tmp_path / "setup.yaml"
    setup.write_text(SETUP, encoding="utf-8")
    leads = tmp_path / "leads.csv"
    leads.write_text(CSV, encoding="utf-8")
    imported = await invoke(
        "config", "import", str(setup), "--router-url", router_url, "--api-key", ADMIN_KEY
    )
    assert imported.code == 0, imported

    result = await invoke(
        "simulate",
        str(leads),
        "--campaign-id",
        "spring-demo",
        "--router-url",
        router_url,
        "--api-key",
        READ_KEY,
    )

    assert result.code == 0, result
    rows = [line for line in result.stdout.splitlines() if "María López" in line]
    assert any("csv:r-1" in row for row in rows), result.stdout
    assert any("email:grace@example.com" in row for row in rows), result.stdout
    assert "2 leads from" in result.stdout
    async with httpx.AsyncClient(base_url=router_url) as client:
        listed = await client.get("/v1/leads", headers={"X-API-Key": READ_KEY})
    assert listed.json()["items"] == []


def test_csv_rows_become_leads_and_scores_of_the_contracts() -> None:
    first, second = leads_from_csv(CSV, campaign_id="fallback", now=NOW)

    lead = Lead.model_validate(first["lead"])
    assert lead.lead_key == "csv:r-1"
    assert lead.campaign_id == "spring-demo"
    assert lead.contact.email == "ada@example.com"
    assert lead.contact.country == "ES"
    assert lead.company.name == "Analytical Engines"
    assert lead.company.employees == 40
    assert lead.answers == {"interest": "demo"}
    score = Score.model_validate(first["score"])
    assert (score.value, score.grade, score.is_mql) == (80, "A", True)
    other = Lead.model_validate(second["lead"])
    assert other.lead_key == "email:grace@example.com"
    assert other.campaign_id == "fallback"
    assert Score.model_validate(second["score"]).value == 50


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no header row"),
        ("email,campaign_id\n", "no rows"),
        ("email\nada@example.com\n", "row 2: no campaign_id"),
        ("first_name,campaign_id\nAda,c\n", "row 2: needs an email or an external_id"),
        (
            "email,campaign_id,employees\na@example.com,c,forty\n",
            "row 2: employees is not a number",
        ),
        ("email,campaign_id,score\na@example.com,c,101\n", "row 2: value: "),
        ("email,campaign_id,country\na@example.com,c,Spain\n", "row 2: country: "),
    ],
)
def test_bad_csv_is_refused_with_the_row(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        leads_from_csv(text, campaign_id=None, now=NOW)


def test_a_decision_shows_who_and_why() -> None:
    names = {"5f0c7a43-0000-4000-8000-000000000001": "María López"}
    assigned = {
        "outcome": "assigned",
        "salesperson_id": "5f0c7a43-0000-4000-8000-000000000001",
        "pool": "iberia",
        "strategy": "round_robin",
        "reason": "rule everyone to Iberia",
    }
    assert decision_row(assigned, names) == ("María López", "rule everyone to Iberia")
    assert decision_row({**assigned, "reason": ""}, names) == ("María López", "iberia, round_robin")
    nobody = {"outcome": "unassigned", "salesperson_id": None, "reason": "nobody available"}
    assert decision_row(nobody, names) == ("unassigned", "nobody available")


async def test_report_leakage_shows_a_table_per_cause(router_url: str) -> None:
    result = await invoke(
        "report", "leakage", "--since", "7d", "--router-url", router_url, "--api-key", READ_KEY
    )
    assert result.code == 0, result
    assert "0 assigned leads received in the last 7d" in result.stdout
    for title in ("time to first touch", "grade", "source", "salesperson", "pool", "SLA"):
        assert f"leakage by {title}" in result.stdout
    assert "not touched" in result.stdout
    only = await invoke(
        "report", "leakage", "--by", "grade", "--router-url", router_url, "--api-key", READ_KEY
    )
    assert "leakage by grade" in only.stdout
    assert "leakage by pool" not in only.stdout
    refused = await invoke("report", "leakage", "--router-url", router_url)
    assert refused.code == ExitCode.FAILED
    assert "401" in refused.stderr
