"""The ops page's calibration plot in headless Chromium, on a router whose database
holds a generated history: one SVG per campaign with a dot per score decile, at the
API's numbers, and the candidate's series once a model is fitted."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from leadrouter_cli.history.store import fill
from leadrouter_crm_simulator.app import create_app as create_crm
from leadrouter_router.platform.db import create_engine, migrate, session_factory
from tests.router.api_support import ADMIN, READ, READ_KEY, keyed_settings
from tests.router.conftest import running_router
from tests.support.servers import serving
from tests.support.waiting import eventually

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

CAMPAIGN = "spring-demo"

READ_PLOTS = """() => Object.fromEntries(
  [...document.querySelectorAll("#calibration-plots svg[data-campaign]")].map((plot) => [
    plot.dataset.campaign,
    Object.fromEntries([...plot.querySelectorAll("g[data-series]")].map((g) => [
      g.dataset.series,
      {version: g.dataset.version, dots: [...g.querySelectorAll("circle")].map((c) => ({
        decile: Number(c.dataset.decile), predicted: Number(c.dataset.predicted),
        observed: Number(c.dataset.observed), leads: Number(c.dataset.leads),
        inside: Number(c.getAttribute("cx")) > 0 && Number(c.getAttribute("cy")) > 0,
      }))},
    ])),
  ]))"""


@pytest.fixture
async def router(kafka: str, topic_prefix: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'router.db'}"
    engine = create_engine(url)
    try:
        await migrate(engine)
        async with session_factory(engine)() as session, session.begin():
            now = datetime.now(UTC)
            await fill(
                session, leads_count=2400, days=90, seed=8, now=now, topic_prefix=topic_prefix
            )
    finally:
        await engine.dispose()
    async with serving(create_crm()) as crm_url:
        settings = keyed_settings(
            kafka=kafka, prefix=topic_prefix, database_url=url, crm_url=f"{crm_url}/assignments"
        )
        async with running_router(settings) as client:
            yield client


def _dots(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"decile": n, "predicted": d["predicted"], "observed": d["observed"], "leads": d["leads"]}
        for n, d in enumerate(metrics["deciles"], start=1)
    ]


async def _plots(page: Page, series: int) -> dict[str, Any]:
    async def drawn() -> dict[str, Any] | None:
        plots: dict[str, Any] = await page.evaluate(READ_PLOTS)
        return plots if plots and len(plots.get(CAMPAIGN, {})) == series else None

    return await eventually(drawn, timeout_s=30, what=f"{series} series plotted")


async def test_the_ops_page_plots_predicted_against_observed_win_rate_per_decile(
    router: httpx.AsyncClient, browser: Browser
) -> None:
    page = await browser.new_page(viewport={"width": 1400, "height": 1800})
    await page.goto(f"{router.base_url}/ops?refresh=1")
    await page.locator("#key").fill(READ_KEY, timeout=30_000)
    await page.locator("#key-form button").click()

    plots = await _plots(page, 1)
    report = (await router.get("/v1/ops/calibration", headers=READ)).json()
    for campaign in report["campaigns"]:
        current = plots[campaign["campaign_id"]]["current"]
        assert current["version"] == "default-2"
        assert [{k: d[k] for k in d if k != "inside"} for d in current["dots"]] == _dots(
            campaign["current"]
        )
        assert all(d["inside"] for d in current["dots"])

    fitted = await router.post(f"/v1/campaigns/{CAMPAIGN}/models", headers=ADMIN)
    assert fitted.status_code == 201, fitted.text
    plots = await _plots(page, 2)
    candidate = plots[CAMPAIGN]["candidate"]
    assert candidate["version"] == f"{CAMPAIGN}-cal1"
    dots = [{k: d[k] for k in d if k != "inside"} for d in candidate["dots"]]
    assert dots == _dots(fitted.json()["evaluation"]["candidate"])
    legend = await page.locator(
        f"#calibration figure[data-campaign={CAMPAIGN}] li"
    ).all_inner_texts()
    assert any(line.startswith(f"candidate {CAMPAIGN}-cal1: AUC") for line in legend), legend
    if directory := os.environ.get("LEADROUTER_SCREENSHOTS"):
        await page.locator("#calibration").screenshot(path=f"{directory}/ops-calibration.png")
