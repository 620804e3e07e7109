from typing import Any

import pytest

from tests.router.outcomes.support import OutcomeApi, assigned_lead


@pytest.fixture
async def lead(outcome_api: OutcomeApi, kafka: str, topic_prefix: str) -> dict[str, Any]:
    """A lead of spring-demo, assigned by the router of ``outcome_api``."""
    return await assigned_lead(outcome_api.client, kafka, topic_prefix)
