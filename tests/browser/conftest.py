"""Debian's Chromium, driven by Playwright: installed by ``make test``
(deploy/browser/chromium.sh), never downloaded by the test tool."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

from tests.support.tools import tool_path

if TYPE_CHECKING:
    from playwright.async_api import Browser

# Headless, and quiet on this machine's closed network: no background fetches,
# component updates or sync, which would otherwise fail (and retry) at every start.
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def chromium() -> str:
    path = tool_path("deploy/browser/chromium.sh", "path")
    if path is None:  # a failure even outside CI: the ops page's tests need it
        pytest.fail("no Chromium: run `bash deploy/browser/chromium.sh install`")
    return path


@pytest.fixture
async def browser(chromium: str) -> AsyncIterator[Browser]:
    from playwright.async_api import async_playwright  # imported by browser tests only

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()
