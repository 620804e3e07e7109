"""Fit, compare, promote and roll back through the router's API, on a generated
history, with the real scorer on the real broker picking up each promotion."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from leadrouter_cli.history.store import fill
from leadrouter_crm_simulator.app import create_app as create_crm
from leadrouter_router.platform.db import create_engine, migrate, session_factory
from leadrouter_schemas import LeadScored, decode_as, topics
from leadrouter_scorer.app import create_app as create_scorer
from leadrouter_scorer.settings import Settings as ScorerSettings
from tests.router.api_support import ADMIN, READ, keyed_settings
from tests.router.conftest import running_router
from tests.support.kafka import read_all, service_kafka
from tests.support.servers import serving
from tests.support.waiting import eventually

CAMPAIGN = "spring-demo"


async def _history(url: str, prefix: str) -> None:
    engine = create_engine(url)
    try:
        await migrate(engine)
        async with session_factory(engine)() as session, session.begin():
            now = datetime.now(UTC)
            await fill(session, leads_count=2400, days=90, seed=4, now=now, topic_prefix=prefix)
    finally:
        await engine.dispose()


@pytest.fixture
async def system(
    kafka: str, topic_prefix: str, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """A router whose database holds a generated history, and a scorer; both clients."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'router.db'}"
    await _history(url, topic_prefix)
    scorer_settings = ScorerSettings(kafka=service_kafka(kafka, topic_prefix, "scorer"))
    async with serving(create_crm()) as crm_url:
        settings = keyed_settings(
            kafka=kafka, prefix=topic_prefix, database_url=url, crm_url=f"{crm_url}/assignments"
        )
        async with (
            running_router(settings) as router,
            serving(create_scorer(scorer_settings)) as scorer_url,
            httpx.AsyncClient(base_url=scorer_url, timeout=10) as scorer,
        ):
            yield router, scorer


async def _scored_with(
    scorer: httpx.AsyncClient, kafka: str, prefix: str, version: str
) -> LeadScored:
    """Send new leads until one is scored with ``version`` (the scorer reads the
    campaign change from config.campaigns while it runs)."""

    async def probe() -> LeadScored | None:
        external_id = uuid.uuid4().hex
        response = await scorer.post(
            "/v1/webhooks/generic",
            json={
                "campaign_id": CAMPAIGN,
                "external_id": external_id,
                "contact": {"email": f"{external_id}@company9.example", "job_title": "CTO"},
                "company": {"employees": 800, "industry": "Software"},
                "consent": {
                    "given": True,
                    "text": "I agree to be contacted about this offer.",
                    "given_at": datetime.now(UTC).isoformat(),
                    "ip": "192.0.2.10",
                },
                "answers": {"interest": "pricing", "timeline": "this quarter"},
            },
        )
        assert response.status_code == 202, response.text
        await eventually(
            lambda: _find(kafka, prefix, external_id), timeout_s=20, what="the lead scored"
        )
        found = await _find(kafka, prefix, external_id)
        return found if found is not None and found.data.score.model_version == version else None

    return await eventually(probe, timeout_s=60, interval_s=0.5, what=f"a score by {version}")


async def _find(kafka: str, prefix: str, external_id: str) -> LeadScored | None:
    for record in await read_all(kafka, prefix + topics.LEADS_SCORED):
        event = decode_as(record.value, LeadScored)
        if event.data.lead.external_id == external_id:
            return event
    return None


async def test_fit_promote_and_roll_back_reach_the_scorer_without_a_restart(
    system: tuple[httpx.AsyncClient, httpx.AsyncClient], kafka: str, topic_prefix: str
) -> None:
    router, scorer = system
    models = f"/v1/campaigns/{CAMPAIGN}/models"
    assert (await router.post(models, headers=READ)).status_code == 403

    fitted = await router.post(models, headers=ADMIN)
    assert fitted.status_code == 201, fitted.text
    version = fitted.json()
    assert (version["version"], version["status"]) == (f"{CAMPAIGN}-cal1", "candidate")
    assert version["based_on"] == "default-2"
    assert version["model"]["origin"] == "calibrated"
    evaluation = version["evaluation"]
    assert evaluation["trained_on"] > evaluation["tested_on"] > 200
    assert len(evaluation["candidate"]["deciles"]) == 10
    # Fitting promotes nothing: the scorer still scores with the default model.
    assert (await _scored_with(scorer, kafka, topic_prefix, "default-2")).data.score

    compared = await router.get(f"{models}/{CAMPAIGN}-cal1", headers=READ)
    assert compared.json()["evaluation"] == evaluation

    promoted = await router.post(f"{models}/{CAMPAIGN}-cal1/promote", headers=ADMIN)
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["status"] == "promoted"
    scored = await _scored_with(scorer, kafka, topic_prefix, f"{CAMPAIGN}-cal1")
    lines = {line.rule: line.points for line in scored.data.score.explanation}
    fitted_points = {
        f"{rule['rule']}: {case['label']}": case["points"]
        for rule in version["model"]["rules"]
        for case in rule["cases"]
    }
    assert lines["timeline: buying now"] == fitted_points["timeline: buying now"]
    assert lines["lead source: generic"] == fitted_points["lead source: generic"]
    again = await router.post(f"{models}/{CAMPAIGN}-cal1/promote", headers=ADMIN)
    assert again.status_code == 409

    rolled = await router.post(f"{models}/rollback", headers=ADMIN)
    assert rolled.status_code == 200, rolled.text
    assert rolled.json()["status"] == "retired"
    await _scored_with(scorer, kafka, topic_prefix, "default-2")
    assert (await router.post(f"{models}/rollback", headers=ADMIN)).status_code == 409

    audit = (await router.get(f"/v1/campaigns/{CAMPAIGN}/models-audit", headers=READ)).json()
    assert [(a["action"], a["actor"]) for a in audit["items"]] == [
        ("rollback", "ops"),
        ("promote", "ops"),
        ("fit", "ops"),
    ]
    assert audit["items"][2]["metrics"]["candidate_auc"] == evaluation["candidate"]["auc"]


async def test_a_campaign_with_too_few_closed_leads_is_refused_with_the_minimum(
    system: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    router, _ = system
    created = await router.post(
        "/v1/campaigns", headers=ADMIN, json={"campaign_id": "new-launch", "name": "New launch"}
    )
    assert created.status_code == 201, created.text
    refused = await router.post("/v1/campaigns/new-launch/models", headers=ADMIN)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "0 closed leads" in refused.json()["detail"]
    assert "at least 500" in refused.json()["detail"]
    assert (await router.post("/v1/campaigns/no-such/models", headers=ADMIN)).status_code == 404
    listed = await router.get("/v1/campaigns/new-launch/models", headers=READ)
    assert listed.json() == {"items": []}


async def test_the_calibration_report_plots_the_current_scores_per_campaign(
    system: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    router, _ = system
    report = (await router.get("/v1/ops/calibration", headers=READ)).json()
    by_id = {c["campaign_id"]: c for c in report["campaigns"]}
    spring = by_id[CAMPAIGN]
    assert spring["closed"] >= report["minimum_closed"] == 500
    assert spring["model_version"] == "default-2"
    deciles = spring["current"]["deciles"]
    assert len(deciles) == 10
    assert deciles[-1]["observed"] > deciles[0]["observed"]
    assert spring["candidate"] is None
