from collections.abc import AsyncIterator

import httpx
import pytest

from leadrouter_scorer.app import create_app
from leadrouter_scorer.settings import Settings
from tests.support.kafka import service_kafka
from tests.support.servers import serving


@pytest.fixture
def scorer_settings(kafka: str, topic_prefix: str) -> Settings:
    return Settings(kafka=service_kafka(kafka, topic_prefix, "scorer"))


@pytest.fixture
async def scorer(scorer_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The scorer serving HTTP on a free port, its consumer running."""
    async with (
        serving(create_app(scorer_settings)) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=10) as client,
    ):
        yield client
