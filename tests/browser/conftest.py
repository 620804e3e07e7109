"""Debian's Chromium, driven by Playwright: installed by ``make test``
(deploy/browser/chromium.sh), never downloaded by the test tool."""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.async_api import Browser

ROOT = Path(__file__).resolve().parents[2]

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
    path = subprocess.run(
        ["bash", str(ROOT / "deploy/browser/chromium.sh"), "path"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not os.access(path, os.X_OK):
        pytest.fail(f"no Chromium at {path}: run `bash deploy/browser/chromium.sh install`")
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
