"""The ``leadrouter`` command against the real broker and real local servers: in
process with typer's ``CliRunner`` (in a worker thread, as the command runs its own
event loop), or as a subprocess (``python -m leadrouter_cli``) where it must run
beside a server of the test's loop or configures process-wide logging."""

import asyncio
import os
import sys
from dataclasses import dataclass

import pytest
from typer.testing import CliRunner

from leadrouter_cli.main import app


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str


# Wide and plain, so that rich neither wraps nor colours what the tests read.
CLI_ENV = {"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}


async def leadrouter(
    *args: str, env: dict[str, str] | None = None, timeout_s: float = 60
) -> Result:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "leadrouter_cli",
        *args,
        env={**os.environ, **CLI_ENV, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout_s)
    except TimeoutError:
        process.kill()
        stdout, stderr = await process.communicate()
        pytest.fail(f"leadrouter {' '.join(args)} still running after {timeout_s}s:\n{stderr!r}")
    assert process.returncode is not None
    return Result(process.returncode, stdout.decode(), stderr.decode())


async def invoke(*args: str) -> Result:
    """``leadrouter ARGS`` in this process (fast: no interpreter start-up)."""
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args), env=CLI_ENV)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Result(result.exit_code, result.stdout, result.stderr)
