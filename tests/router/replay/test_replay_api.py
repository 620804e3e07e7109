"""POST /v1/replays and GET /v1/replays/{id}: the replay as a background job of the
router's API (admin scope), over the seeded history (SQLite and PostgreSQL)."""

from datetime import timedelta
from typing import Any

from tests.router.api_support import ADMIN, READ
from tests.router.outcomes.support import outcome_router
from tests.router.replay.support import NOW, SOLO, TO_SOLO, history_to_replay
from tests.support.waiting import eventually


async def test_a_replay_job_reports_the_leads_a_pool_change_moves(
    kafka: str, topic_prefix: str, database_url: str
) -> None:
    await history_to_replay(database_url, leads=300, days=15)
    body = {
        "since": (NOW - timedelta(days=16)).isoformat(),
        "until": NOW.isoformat(),
        "policy": TO_SOLO.model_dump(mode="json"),
    }
    async with outcome_router(kafka=kafka, prefix=topic_prefix, database_url=database_url) as (
        client,
        _,
    ):
        unknown_pool = {**body, "policy": {"rules": [{"name": "x", "pool": "nobody"}]}}
        refused = await client.post("/v1/replays", json=unknown_pool, headers=ADMIN)
        read_only = await client.post("/v1/replays", json=body, headers=READ)
        started = await client.post("/v1/replays", json=body, headers=ADMIN)
        assert started.status_code == 202, started.text
        location = started.headers["location"]

        async def finished() -> dict[str, Any] | None:
            job: dict[str, Any] = (await client.get(location, headers=ADMIN)).json()
            return job if job["status"] != "running" else None

        job = await eventually(finished, timeout_s=120, what="the replay done")
        missing = await client.get(
            "/v1/replays/00000000-0000-0000-0000-000000000000", headers=ADMIN
        )
        leads = (await client.get("/v1/leads", params={"limit": 1}, headers=ADMIN)).json()

    assert refused.status_code == 422
    assert "nobody" in refused.json()["detail"]
    assert read_only.status_code == 403
    assert missing.status_code == 404
    assert job["status"] == "done", job
    assert job["done"] == job["total"] == 300
    report = job["report"]
    assert report["policy"] == "candidate"
    assert report["moved"] > 0
    assert report["changed"] == {"owner": report["moved"]}
    assert len(report["moved_leads"]) == report["moved"]
    solo = next(row for row in report["load"] if row["name"] == SOLO)
    assert solo["after"] - solo["before"] == report["moved"]
    assert sum(r["before"] for r in report["load"]) == sum(r["after"] for r in report["load"])
    assert report["gini_after"] > report["gini_before"]
    assert sum(report["outcomes_of_moved"].values()) == report["moved"]
    assert {m["owner_after"] for m in report["moved_leads"]} == {solo["salesperson_id"]}
    assert report["sla_before"]["assigned"] == report["sla_after"]["assigned"]
    assert leads["items"]  # the stored leads are all still there


def test_the_openapi_document_describes_the_replay_job(router_openapi: dict[str, Any]) -> None:
    document = router_openapi
    start = document["paths"]["/v1/replays"]["post"]
    assert {"202", "400", "401", "403", "409", "422"} <= set(start["responses"])
    assert "404" in document["paths"]["/v1/replays/{job_id}"]["get"]["responses"]
    moved = document["components"]["schemas"]["MovedOut"]["properties"]
    assert "not a promise" in moved["observed_outcome"]["description"]
