"""``leadrouter replay`` on a router database holding the seeded history: a table
summary on stdout, every lead that would move in the CSV, nothing written."""

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from leadrouter_cli.errors import ExitCode
from leadrouter_router.learning.service import fit_candidate
from leadrouter_router.platform.db import create_engine, session_factory
from tests.cli.conftest import invoke
from tests.router.replay.support import TO_SOLO, history_to_replay

# Tier (tests/conftest.py): each test builds a SQLite database of its own.
pytestmark = pytest.mark.database


async def test_replay_reports_and_writes_the_leads_that_would_move(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'router.db'}"
    await history_to_replay(url, leads=200, days=10)
    policy = tmp_path / "candidate.yaml"
    policy.write_text(yaml.safe_dump(TO_SOLO.model_dump(mode="json")), encoding="utf-8")
    moved_csv = tmp_path / "moved.csv"

    as_is = await invoke("replay", "--since", "11d", "--database-url", url)
    rescored = await invoke("replay", "--since", "11d", "--model", "current", "--database-url", url)
    candidate = await invoke(
        "replay",
        "--since",
        "11d",
        "--policy",
        str(policy),
        "--csv",
        str(moved_csv),
        "--database-url",
        url,
    )

    assert as_is.code == 0, as_is
    assert "200 leads replayed (current policy): 0 would move" in as_is.stdout
    # The history was scored with each campaign's model: scored again, nothing moves.
    assert rescored.code == 0, rescored
    assert "(current policy, re-scored): 0 would move" in rescored.stdout
    assert candidate.code == 0, candidate
    for title in ("leads per salesperson", "Gini", "SLA exposure", "observed outcome"):
        assert title in candidate.stdout
    with moved_csv.open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert rows
    assert f"200 leads replayed (candidate policy): {len(rows)} would move" in candidate.stdout
    assert {row["owner_after"] for row in rows} == {"María López"}
    assert {row["changes"] for row in rows} == {"owner"}
    assert f"{len(rows)} leads that would move written to {moved_csv}" in candidate.stderr


async def test_replay_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'router.db'}"
    await history_to_replay(url, leads=20, days=2)
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: [{name: x, pool: nobody}]\n", encoding="utf-8")
    for args, message in (
        (["--since", "ninety"], "--since"),
        (["--model", "v7"], "--model"),
        (["--policy", str(tmp_path / "none.yaml")], "--policy"),
        (["--policy", str(bad)], "nobody"),
    ):
        result = await invoke("replay", *args, "--database-url", url)
        assert result.code == ExitCode.USAGE, (args, result)
        assert message in result.stderr
        assert "Traceback" not in result.stderr


async def test_replay_rescores_a_campaign_with_a_fitted_model_version(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'router.db'}"
    await history_to_replay(url, leads=2400, days=90)
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            fitted = await fit_candidate(
                session, "spring-demo", actor="test", now=datetime.now(UTC)
            )
            assert fitted.version == "spring-demo-cal1"
    finally:
        await engine.dispose()
    moved_csv = tmp_path / "moved.csv"

    result = await invoke(
        "replay",
        "--since",
        "91d",
        "--model",
        "spring-demo-cal1",
        "--csv",
        str(moved_csv),
        "--database-url",
        url,
    )

    assert result.code == 0, result
    with moved_csv.open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert "(current policy, re-scored)" in result.stdout
    assert "would move" in result.stdout
    # Only the fitted campaign's leads are scored differently; grades move.
    assert rows
    assert {row["campaign_id"] for row in rows} == {"spring-demo"}
    assert any("grade" in row["changes"] for row in rows)
