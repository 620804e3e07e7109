from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest

from leadrouter_router.settings import CrmSettings
from tests.router.conftest import running_router
from tests.router.crm.support import settings

RouterDelivering = Callable[[CrmSettings, str], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def router_delivering(kafka: str, topic_prefix: str) -> RouterDelivering:
    """Starts the router on the database at a URL (the settings of ``support``), its
    consumer reading this test's topics and its outbox relay delivering to a CRM."""

    @asynccontextmanager
    async def start(crm: CrmSettings, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
        config = settings(kafka=kafka, prefix=topic_prefix, database_url=database_url, crm=crm)
        async with running_router(config) as router:
            yield router

    return start
