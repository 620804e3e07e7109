from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadrouter_crm_simulator.app import create_app as create_crm
from leadrouter_router.app import create_app
from leadrouter_router.platform.db import create_engine, session_factory
from leadrouter_router.settings import CrmSettings, DatabaseSettings, OutboxSettings, Settings
from tests.support.kafka import service_kafka
from tests.support.servers import serving

if TYPE_CHECKING:  # imported where used: its module imports running_router from here
    from tests.router.outcomes.support import OutcomeApi


@pytest.fixture
async def crm() -> AsyncIterator[httpx.AsyncClient]:
    """The CRM simulator on a free port; the client reads what it received."""
    async with serving(create_crm()) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        yield client


@pytest.fixture(scope="session")
def router_openapi() -> dict[str, Any]:
    """The router's OpenAPI document, made once per run (the tests only read it)."""
    document: dict[str, Any] = create_app(Settings()).openapi()
    return document


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on this test's database (migrated to head already, tests/conftest.py)."""
    engine = create_engine(database_url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def router_settings(
    kafka: str, topic_prefix: str, database_url: str, crm: httpx.AsyncClient
) -> Settings:
    return Settings(
        kafka=service_kafka(kafka, topic_prefix, "router"),
        db=DatabaseSettings(url=database_url),
        crm=CrmSettings(url=str(crm.base_url.join("/assignments")), timeout_s=5),
        outbox=OutboxSettings(poll_interval_s=0.2, backoff_base_s=0.05, backoff_max_s=0.5),
        seed_demo_salespeople=True,
    )


@pytest.fixture
async def outcome_api(
    kafka: str, topic_prefix: str, database_url: str
) -> AsyncIterator["OutcomeApi"]:
    """The router of ``tests/router/outcomes/support.outcome_router``: API keys, the demo
    team, the CRM simulator, the SLA checker left to the test."""
    from tests.router.outcomes.support import OutcomeApi, outcome_router

    async with outcome_router(kafka=kafka, prefix=topic_prefix, database_url=database_url) as (
        client,
        app,
    ):
        yield OutcomeApi(client, app)


RouterFactory = Callable[[Settings], AbstractAsyncContextManager[httpx.AsyncClient]]


@asynccontextmanager
async def running_router(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serving(create_app(settings)) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=10) as client,
    ):
        yield client


@pytest.fixture
async def router(router_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The router serving HTTP, its consumer and outbox relay running."""
    async with running_router(router_settings) as client:
        yield client
