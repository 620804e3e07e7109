"""Intake while the broker is down, with a real broker of the test's own that is
killed (SIGKILL) and started again: webhooks are answered 503 with Retry-After within
the platforms' timeouts (not after the producer's 15 s), at once while Kafka is known
unreachable, and accepted again once it is back.

Platforms' documented timeouts (docs/decisions/0104): HubSpot's Webhooks API counts
a notification as failed when the answer takes longer than 2 seconds
(community.hubspot.com/t5/APIs-Integrations/Webhooks-response/td-p/277558, quoting
the webhooks documentation; earlier 1 second); Typeform waits 30 seconds
(typeform.com/developers/webhooks, "Timeout"); HubSpot workflows 30 seconds."""

import asyncio
import os
import signal
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from leadrouter_runtime.topics import ensure_topics, load_specs
from leadrouter_schemas import topics
from leadrouter_scorer.app import create_app
from leadrouter_scorer.settings import Settings
from tests.conftest import ROOT, TOPICS_FILE
from tests.scorer.webhooks.samples import fixture_json
from tests.support.kafka import read_all, service_kafka
from tests.support.servers import free_port, serving
from tests.support.waiting import eventually

PLATFORM_TIMEOUT_S = 2.0  # HubSpot's Webhooks API, the tightest documented
PROBLEM = "application/problem+json"


@dataclass
class OwnBroker:
    bootstrap: str
    env: dict[str, str]
    data: Path

    async def script(self, command: str) -> None:
        done = await asyncio.to_thread(
            subprocess.run,
            ["bash", str(ROOT / "deploy" / "kafka" / "kafka.sh"), command],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, f"kafka.sh {command}: {done.stderr}"

    async def kill(self) -> None:
        pid = int((self.data / "kafka.pid").read_text().strip())
        os.kill(pid, signal.SIGKILL)

        async def gone() -> bool | None:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            return None

        await eventually(gone, what="the broker dead")


@pytest.fixture
async def own_broker(tmp_path: Path) -> AsyncIterator[OwnBroker]:
    """A second broker, on ports and a data directory of this test's own."""
    port = free_port()
    broker = OwnBroker(
        bootstrap=f"127.0.0.1:{port}",
        env={
            "KAFKA_PORT": str(port),
            "KAFKA_CONTROLLER_PORT": str(free_port()),
            "KAFKA_DATA_DIR": str(tmp_path / "kafka"),
        },
        data=tmp_path / "kafka",
    )
    await broker.script("start")
    try:
        yield broker
    finally:
        await broker.script("stop")


def _lead(n: int) -> dict[str, object]:
    return {**fixture_json("generic.json"), "external_id": f"outage-{n}"}


@pytest.mark.broker
async def test_a_killed_broker_is_answered_503_within_the_platforms_timeouts_then_accepted(
    own_broker: OwnBroker,
) -> None:
    prefix = "outage."
    await ensure_topics(own_broker.bootstrap, load_specs(TOPICS_FILE), prefix=prefix)
    settings = Settings(kafka=service_kafka(own_broker.bootstrap, prefix, "scorer"))
    settings = settings.model_copy(
        update={"webhooks": settings.webhooks.model_copy(update={"broker_down_retry_after_s": 3})}
    )
    async with (
        serving(create_app(settings)) as base_url,
        # Any answer slower than the platform's timeout raises here: the test fails.
        httpx.AsyncClient(base_url=base_url, timeout=PLATFORM_TIMEOUT_S) as platform,
    ):
        before = await platform.post("/v1/webhooks/generic", json=_lead(0))
        assert before.status_code == 202, before.text

        await own_broker.kill()
        during = [await platform.post("/v1/webhooks/generic", json=_lead(n)) for n in (1, 2, 3)]
        metrics = (await platform.get("/metrics")).text

        assert [a.status_code for a in during] == [503, 503, 503]
        assert {a.headers["content-type"] for a in during} == {PROBLEM}
        assert all(1 <= int(a.headers["retry-after"]) <= 3 for a in during)
        # Only the first waited for Kafka; the others were answered as known down.
        assert "scorer_webhook_publish_failures_total 1.0" in metrics

        await own_broker.script("start")

        async def retried() -> httpx.Response | None:
            answer = await platform.post("/v1/webhooks/generic", json=_lead(1))
            return answer if answer.status_code == 202 else None

        accepted = await eventually(retried, timeout_s=60, interval_s=0.5, what="202 again")

    records = await read_all(own_broker.bootstrap, prefix + topics.LEADS_RECEIVED)
    event_ids = {dict(r.headers)["event-id"] for r in records}
    assert event_ids >= {
        before.json()["event_id"].encode(),
        accepted.json()["event_id"].encode(),
    }
