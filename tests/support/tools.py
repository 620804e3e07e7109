"""The tools some tests run (promtool, kustomize, Chromium), installed by the scripts
under deploy/ (`make setup`, `make test-tools`), never downloaded by the tests."""

import os
import subprocess
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@cache
def tool_path(script: str, *args: str) -> str | None:
    """The executable that ``bash <script> <args>`` names (a path under the repository
    root's ``script``), or None when it is not installed there."""
    path = subprocess.run(
        ["bash", str(ROOT / script), *args], capture_output=True, text=True, check=True
    ).stdout.strip()
    return path if path and os.access(path, os.X_OK) else None


def installed(path: str | None, install: str) -> str:
    """``path``; without it the test fails in CI and is skipped elsewhere, naming the
    command ``install`` that installs the tool."""
    if path is None:
        message = f"not installed: run `{install}`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
