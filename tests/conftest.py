"""Shared test infrastructure: one real Kafka broker and one PostgreSQL server per
run (started here unless already running), and unique topics and databases per test.

Tiers (CONTRIBUTING.md): every test is marked by the fixtures it uses, so that a new
test lands in its tier without anyone remembering a marker:

- ``broker``: uses the Kafka broker (``kafka``, ``topic_prefix``);
- ``database``: uses a database (``postgres_*``, ``database_url``);
- ``browser``: drives Chromium (a test can be all three);
- ``process``: starts processes (the CLI as a subprocess, a linter): marked by hand;
- ``unit``: none of these. ``pytest -m unit`` starts neither broker nor database, and
  there a unit test that connects to one, opens a SQLite file or starts a process
  fails, naming the marker it needs: mark such a test (or its module's
  ``pytestmark``) ``database``, ``broker`` or ``process`` by hand; the fixtures' tiers
  are added to it.

Environment: LEADROUTER_TEST_KAFKA_PORT (29092), LEADROUTER_TEST_PG_PORT (55432).
"""

import gc
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Generator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from leadrouter_runtime.watch import TopicWatch

# The fixtures' own imports (asyncpg, SQLAlchemy and the migrations, aiokafka) are made
# where they are used, so that a run that needs no server does not pay for them.

ROOT = Path(__file__).resolve().parents[1]
TOPICS_FILE = ROOT / "deploy" / "kafka" / "topics.toml"
KAFKA_PORT = os.environ.get("LEADROUTER_TEST_KAFKA_PORT", "29092")
PG_PORT = os.environ.get("LEADROUTER_TEST_PG_PORT", "55432")

TIERS = ("unit", "database", "broker", "browser", "process")
TIER_FIXTURES = {
    "broker": {"kafka", "topic_prefix"},
    "database": {
        "postgres_server",
        "postgres_template",
        "postgres_url",
        "database_url",
        "empty_database_url",
        "sqlite_template",
    },
    "browser": {"chromium", "browser"},
}


def tiers_of(fixturenames: set[str]) -> list[str]:
    """What a test's fixtures use: broker, database, browser (any of them)."""
    return [tier for tier, fixtures in TIER_FIXTURES.items() if fixturenames & fixtures]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marked = {tier for tier in TIERS if item.get_closest_marker(tier)}
        used = set(tiers_of(set(getattr(item, "fixturenames", ())))) - marked
        for tier in sorted(used):
            item.add_marker(tier)
        if not marked and not used:
            item.add_marker("unit")


_running_unit: list[str] = []
"""The unit test running now (empty outside one): what the audit hook guards."""


def _unit_guard(event: str, args: tuple[Any, ...]) -> None:
    if not _running_unit:
        return
    if event == "sqlite3.connect":
        used = f"a SQLite database ({args[0]})"
    elif event == "subprocess.Popen":
        used = f"a process ({args[0]})"
    elif (
        event == "socket.connect"
        and isinstance(args[1], tuple)
        and len(args[1]) >= 2
        and str(args[1][1]) in (KAFKA_PORT, PG_PORT)
    ):
        used = f"the test broker or database at {args[1][0]}:{args[1][1]}"
    else:
        return
    raise RuntimeError(
        f"{_running_unit[0]} is marked unit but uses {used}: "
        "mark it pytest.mark.database, broker or process (see tests/conftest.py)"
    )


def pytest_configure(config: pytest.Config) -> None:
    # Guarded where unit tests are selected as a tier (``-m unit``): there a test that
    # is not pure fails, rather than slowing the fast loop down unnoticed.
    # There property tests try fewer examples (tests/support/properties.py).
    if "unit" in (config.option.markexpr or ""):
        sys.addaudithook(_unit_guard)
        if "HYPOTHESIS_PROFILE" not in os.environ:
            from hypothesis import settings

            from tests.support.properties import UNIT_PROFILE

            settings.load_profile(UNIT_PROFILE)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    # What collection imports (the services, SQLAlchemy, pydantic, hypothesis, ...) lives
    # until the end of the run: moved out of the garbage collector's way as each module is
    # collected, since every full collection would otherwise walk it all again (seconds
    # per run). What the tests make is collected as ever.
    gc.freeze()


@contextmanager
def _guarded(item: pytest.Item) -> Iterator[None]:
    if item.get_closest_marker("unit") is None:
        yield
        return
    _running_unit.append(item.nodeid)
    try:
        yield
    finally:
        _running_unit.clear()


# Setup and call only: the run's last teardown also finalises the session's servers.
@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None]:
    with _guarded(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None]:
    with _guarded(item):
        return (yield)


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
    for _ in _start_server("deploy/kafka/kafka.sh", {"KAFKA_PORT": KAFKA_PORT}):
        yield f"127.0.0.1:{KAFKA_PORT}"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    for _ in _start_server("deploy/postgres/pg.sh", {"PG_PORT": PG_PORT, "PG_FAST": "1"}):
        yield f"postgresql://postgres@127.0.0.1:{PG_PORT}/postgres"


@pytest.fixture
async def topic_prefix(kafka: str) -> AsyncIterator[str]:
    """Every topic of the system under a prefix of this test's own."""
    from leadrouter_runtime.topics import delete_topics, ensure_topics, load_specs

    prefix = f"t{uuid.uuid4().hex[:12]}."
    created = await ensure_topics(kafka, load_specs(TOPICS_FILE), prefix=prefix)
    yield prefix
    # Dropped afterwards, so that a run's thousands of partitions do not pile up
    # in the broker (start-up time and memory grow with them).
    await delete_topics(kafka, created)


@pytest.fixture
async def watch(kafka: str) -> AsyncIterator["TopicWatch"]:
    """The broker's view that the ops page and the lag probes read, started."""
    from leadrouter_runtime.settings import KafkaSettings
    from leadrouter_runtime.watch import TopicWatch

    watch = TopicWatch(KafkaSettings(bootstrap_servers=kafka), client_suffix="test")
    await watch.start()
    yield watch
    await watch.stop()


async def _admin(postgres_server: str, statement: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(postgres_server)
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


def _asyncpg_url(postgres_server: str, name: str) -> str:
    base = postgres_server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
async def postgres_template(postgres_server: str) -> AsyncIterator[str]:
    """One database per run, migrated once, that each test's database copies
    (``CREATE DATABASE ... TEMPLATE``): copying is a file copy, the migrations are
    dozens of statements. Named per run: other runs on the shared server have their
    own, and nobody stays connected to it, which a template requires."""
    from tests.support.database import migrated

    name = f"leadrouter_template_{uuid.uuid4().hex[:12]}"
    await _admin(postgres_server, f'CREATE DATABASE "{name}"')
    try:
        await migrated(_asyncpg_url(postgres_server, name))
        yield name
    finally:
        await _admin(postgres_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def _postgres_database(postgres_server: str, template: str | None) -> AsyncIterator[str]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    await _admin(postgres_server, f'CREATE DATABASE "{name}"{copy}')
    try:
        yield _asyncpg_url(postgres_server, name)
    finally:
        await _admin(postgres_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def postgres_url(postgres_server: str, postgres_template: str) -> AsyncIterator[str]:
    """A database of this test's own, migrated to head (a copy of the run's template),
    dropped afterwards."""
    async with _postgres_database(postgres_server, postgres_template) as url:
        yield url


@pytest.fixture(scope="session")
async def sqlite_template() -> Path:
    """One SQLite file per run, migrated once, that each test's database copies."""
    from tests.support.database import sqlite_template as migrated_sqlite_template

    return await migrated_sqlite_template()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The router's two databases, migrated to head: a SQLite file, and a PostgreSQL
    database, each a copy of the run's migrated template."""
    if request.param == "sqlite":
        from tests.support.database import copy_sqlite

        template: Path = request.getfixturevalue("sqlite_template")
        return f"sqlite+aiosqlite:///{copy_sqlite(template, tmp_path / 'router.db')}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Both databases with nothing in them, for the tests of the migrations themselves."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'router.db'}"
        return
    postgres_server: str = request.getfixturevalue("postgres_server")
    async with _postgres_database(postgres_server, None) as url:
        yield url
