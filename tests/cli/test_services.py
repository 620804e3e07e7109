"""Starting a service and migrating the database through ``leadrouter``."""

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

import httpx
import pytest

from leadrouter_cli.errors import ExitCode
from tests.cli.conftest import CLI_ENV, leadrouter
from tests.support.servers import free_port
from tests.support.waiting import eventually

# Tier (tests/conftest.py): the command runs as a process.
pytestmark = pytest.mark.process


async def test_migrate_brings_a_new_database_to_the_schema(tmp_path: Path) -> None:
    database = tmp_path / "router.db"
    url = f"sqlite+aiosqlite:///{database}"

    first = await leadrouter("migrate", "--database-url", url)

    assert first.code == 0, first
    assert "database schema is up to date" in first.stdout
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("select name from sqlite_master")}
        (version,) = connection.execute("select version_num from alembic_version").fetchone()
    assert {"alembic_version", "outbox"} <= tables, tables
    assert version


async def test_migrate_says_why_it_failed() -> None:
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    url = "postgresql+asyncpg://leadrouter:secret@127.0.0.1:1/leadrouter"
    result = await leadrouter("migrate", "--database-url", url)
    assert result.code == ExitCode.FAILED, result
    assert "migration failed: " in result.stderr
    assert "Connect" in result.stderr
    assert "Traceback" not in result.stderr


async def test_crm_simulator_starts_on_the_port_given_and_stops_on_sigterm() -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "leadrouter_cli",
        "crm-simulator",
        "--port",
        str(port),
        env={**os.environ, **CLI_ENV},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with httpx.AsyncClient(timeout=2) as client:

            async def healthy() -> bool | None:
                if process.returncode is not None:
                    raise AssertionError(f"exited with {process.returncode}")
                try:
                    return (await client.get(f"http://127.0.0.1:{port}/healthz")).is_success
                except httpx.TransportError:
                    return None

            await eventually(healthy, timeout_s=30, what="crm-simulator ready")
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 20)
    assert process.stderr is not None
    log = (await process.stderr.read()).decode()
    # uvicorn shuts down gracefully, then re-raises the signal it caught, so the
    # process ends as killed by SIGTERM (cooperative signal handling, uvicorn 0.29 on).
    assert code in {0, -signal.SIGTERM}, log
    assert "Finished server process" in log
