"""The ops page's leakage plots in headless Chromium, over the seeded history of
``leadrouter demo history`` (the leak planted): every point and bar drawn is the
API's number, and the leak rises with the time to first touch."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadrouter_cli.history.store import fill
from leadrouter_router.platform.db import create_engine, migrate, session_factory
from tests.browser.test_ops_page import running_system
from tests.router.api_support import READ_KEY
from tests.support.waiting import eventually

if TYPE_CHECKING:
    from playwright.async_api import Browser

READ_PLOTS = """() => {
  const section = document.getElementById("leakage");
  const dots = [...section.querySelectorAll("#leakage-by-touch circle")];
  const bars = [...section.querySelectorAll("#leakage-by-grade rect")];
  return {
    from: section.dataset.from || null, to: section.dataset.to || null,
    summary: document.getElementById("leakage-summary").textContent,
    dots: dots.map((c) => ({
      outcome: c.closest("g").dataset.outcome, bucket: c.dataset.bucket,
      rate: Number(c.dataset.rate), closed: Number(c.dataset.closed),
      y: Number(c.getAttribute("cy")),
    })),
    intervals: section.querySelectorAll("#leakage-by-touch line.interval").length,
    bars: bars.map((b) => ({grade: b.dataset.grade, outcome: b.dataset.outcome,
      rate: Number(b.dataset.rate), height: Number(b.getAttribute("height"))})),
  };
}"""


async def test_the_leakage_plots_show_the_api_numbers_and_the_planted_leak(
    kafka: str, topic_prefix: str, tmp_path: Path, browser: Browser
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'router.db'}")
    try:
        await migrate(engine)
        async with session_factory(engine)() as session, session.begin():
            await fill(session, leads_count=2000, days=60, seed=3, now=datetime.now(UTC))
    finally:
        await engine.dispose()

    async with running_system(kafka, topic_prefix, tmp_path) as system:
        page = await browser.new_page(viewport={"width": 1400, "height": 1800})
        await page.goto(f"{system.router_url}/ops?refresh=1")
        await page.locator("#key").fill(READ_KEY, timeout=30_000)
        await page.locator("#key-form button").click()

        async def drawn() -> dict[str, Any] | None:
            shown: dict[str, Any] = await page.evaluate(READ_PLOTS)
            return shown if shown["dots"] and shown["bars"] else None

        shown = await eventually(drawn, timeout_s=60, what="the leakage plots drawn")
        report = (
            await system.router.get(
                "/v1/reports/leakage", params={"from": shown["from"], "to": shown["to"]}
            )
        ).json()
        # LEADROUTER_OPS_LEAKAGE_SCREENSHOT=docs/images/ops-leakage.png renews the docs' image.
        screenshot = os.environ.get("LEADROUTER_OPS_LEAKAGE_SCREENSHOT") or tmp_path / "leak.png"
        await page.locator("#leakage").screenshot(path=str(screenshot))

    touched = [r for r in report["by_time_to_first_touch"] if r["key"] != "not touched"]
    expected = {
        (outcome, row["key"]): (row["rates"][outcome], row["closed"])
        for row in touched
        for outcome in ("bought_elsewhere", "won", "unreachable")
        if row["rates"][outcome] is not None
    }
    assert {
        (d["outcome"], d["bucket"]): (d["rate"], d["closed"]) for d in shown["dots"]
    } == expected
    assert shown["intervals"] == sum(1 for row in touched if row["closed"])
    assert {(b["grade"], b["outcome"]): b["rate"] for b in shown["bars"]} == {
        (row["key"], outcome): row["rates"][outcome]
        for row in report["by_grade"]
        for outcome in ("won", "bought_elsewhere")
        if row["rates"][outcome] is not None
    }
    assert f"{report['overall']['closed']} closed" in shown["summary"]

    # At a glance: the leak's dots climb (SVG y grows downwards) from the fastest
    # touch to the slowest, and grade A's won bar is taller than grade C's.
    leak = {d["bucket"]: d["y"] for d in shown["dots"] if d["outcome"] == "bought_elsewhere"}
    assert leak["1 day"] < leak["5 min"]
    heights = {(b["grade"], b["outcome"]): b["height"] for b in shown["bars"]}
    assert heights[("A", "won")] > heights[("C", "won")]
