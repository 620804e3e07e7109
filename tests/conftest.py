"""Shared test infrastructure: one real Kafka broker and one PostgreSQL server per
run (started here unless already running), and unique topics and databases per test.

Environment: LEADROUTER_TEST_KAFKA_PORT (29092), LEADROUTER_TEST_PG_PORT (55432).
"""

import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from leadrouter_runtime.topics import ensure_topics, load_specs
from tests.support.kafka import delete_topics

ROOT = Path(__file__).resolve().parents[1]
TOPICS_FILE = ROOT / "deploy" / "kafka" / "topics.toml"


def _script(path: str, command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(ROOT / path), command],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def _start_server(path: str, env: dict[str, str]) -> Iterator[None]:
    """Start the server unless it runs already; stop it afterwards only if this run
    started it (a developer's or another run's server is left alone)."""
    if _script(path, "status", env).returncode == 0:
        yield
        return
    started = _script(path, "start", env)
    if started.returncode != 0:
        pytest.exit(f"{path} start failed:\n{started.stdout}\n{started.stderr}", returncode=3)
    if "already running" in started.stderr:
        yield
        return
    try:
        yield
    finally:
        _script(path, "stop", env)


@pytest.fixture(scope="session")
def kafka() -> Iterator[str]:
    """Bootstrap servers of the run's one broker."""
    port = os.environ.get("LEADROUTER_TEST_KAFKA_PORT", "29092")
    for _ in _start_server("deploy/kafka/kafka.sh", {"KAFKA_PORT": port}):
        yield f"127.0.0.1:{port}"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    port = os.environ.get("LEADROUTER_TEST_PG_PORT", "55432")
    for _ in _start_server("deploy/postgres/pg.sh", {"PG_PORT": port, "PG_FAST": "1"}):
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"


@pytest.fixture
async def topic_prefix(kafka: str) -> AsyncIterator[str]:
    """Every topic of the system under a prefix of this test's own."""
    prefix = f"t{uuid.uuid4().hex[:12]}."
    created = await ensure_topics(kafka, load_specs(TOPICS_FILE), prefix=prefix)
    yield prefix
    # Dropped afterwards, so that a run's thousands of partitions do not pile up
    # in the broker (start-up time and memory grow with them).
    await delete_topics(kafka, created)


@pytest.fixture
async def postgres_url(postgres_server: str) -> AsyncIterator[str]:
    """A fresh database of this test's own, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(postgres_server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield postgres_server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + (
        f"/{name}"
    )
    admin = await asyncpg.connect(postgres_server)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The router's two databases: a SQLite file, and a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'router.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url
