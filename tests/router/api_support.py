"""One router with API keys for the API tests of a module (its own topics and SQLite file);
tests keep apart by the names they use."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from pydantic import SecretStr

from leadrouter_crm_simulator.app import create_app as create_crm
from leadrouter_router.settings import (
    ApiKey,
    AuthSettings,
    CrmSettings,
    DatabaseSettings,
    OutboxSettings,
    RoutingSettings,
    Settings,
)
from leadrouter_runtime.topics import ensure_topics, load_specs
from tests.conftest import TOPICS_FILE
from tests.router.conftest import running_router
from tests.support.database import migrated_sqlite
from tests.support.kafka import service_kafka
from tests.support.servers import serving

ADMIN_KEY = "admin-key-0123456789abcdef"
CRM_KEY = "crm-key-0123456789abcdef"
READ_KEY = "read-key-0123456789abcdef"
ADMIN = {"X-API-Key": ADMIN_KEY}
CRM = {"X-API-Key": CRM_KEY}
READ = {"X-API-Key": READ_KEY}


def keyed_settings(
    *, kafka: str, prefix: str, database_url: str, crm_url: str, recheck_s: float = 30.0
) -> Settings:
    return Settings(
        kafka=service_kafka(kafka, prefix, "router"),
        db=DatabaseSettings(url=database_url),
        crm=CrmSettings(url=crm_url, timeout_s=5),
        outbox=OutboxSettings(poll_interval_s=0.2, backoff_base_s=0.05, backoff_max_s=0.5),
        routing=RoutingSettings(recheck_interval_s=recheck_s),
        auth=AuthSettings(
            api_keys=[
                ApiKey(name="ops", key=SecretStr(ADMIN_KEY), scope="admin"),
                ApiKey(name="crm", key=SecretStr(CRM_KEY), scope="crm"),
                ApiKey(name="dashboard", key=SecretStr(READ_KEY), scope="read"),
            ]
        ),
    )


@asynccontextmanager
async def keyed_router(kafka: str, directory: Path) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A router with the three keys; yields its client and its topic prefix."""
    prefix = f"t{uuid.uuid4().hex[:12]}."
    await ensure_topics(kafka, load_specs(TOPICS_FILE), prefix=prefix)
    async with serving(create_crm()) as crm_url:
        settings = keyed_settings(
            kafka=kafka,
            prefix=prefix,
            database_url=await migrated_sqlite(directory / "router.db"),
            crm_url=f"{crm_url}/assignments",
        )
        async with running_router(settings) as client:
            yield client, prefix


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"
