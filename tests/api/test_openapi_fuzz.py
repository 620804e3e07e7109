"""Both services fuzzed from their own OpenAPI documents by schemathesis (real broker,
PostgreSQL behind the router): no answer >= 500, and none that the document does not
describe (status, media type, schema).

Bounded for ``make test`` (3 cases per operation, the fuzzing phase: about 170
requests); ``make fuzz`` runs the long version (``FUZZ_MAX_EXAMPLES``, ``FUZZ_PHASES``,
``FUZZ_MAX_TIME``, ``FUZZ_SEED``) and prints the figures per service.
"""

import asyncio
import os
import sys
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadrouter_router.app import create_app as create_router
from leadrouter_scorer.app import create_app as create_scorer
from leadrouter_scorer.settings import Settings as ScorerSettings
from tests.router.api_support import ADMIN_KEY, keyed_settings
from tests.scorer.webhooks.conftest import webhook_settings
from tests.support.kafka import service_kafka
from tests.support.servers import serving

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "3"))
PHASES = os.environ.get("FUZZ_PHASES", "examples,fuzzing")
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance,response_headers_conformance"
)
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@dataclass
class Answers:
    """Counts every answer an app gives, by status: what the fuzzer really got."""

    app: ASGIApp
    statuses: Counter[int] = field(default_factory=Counter)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start" and scope["type"] == "http":
                self.statuses[message["status"]] += 1
            await send(message)

        await self.app(scope, receive, counted)

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


async def fuzz(base_url: str, *, report: Path, headers: dict[str, str]) -> tuple[int, str]:
    """Run schemathesis against ``base_url``; its exit code and output."""
    args = [
        str(SCHEMATHESIS),
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--phases",
        PHASES,
        "--seed",
        os.environ.get("FUZZ_SEED", "11"),
        "--workers",
        "1",
        "--no-shrink",
        "--suppress-health-check",
        "all",
        *(["--max-time", os.environ["FUZZ_MAX_TIME"]] if os.environ.get("FUZZ_MAX_TIME") else []),
        # The readiness probe's 503 is its answer when a dependency is slow: not fuzzed.
        "--exclude-path",
        "/readyz",
        "--report",
        "junit",
        "--report-dir",
        str(report),
        *(item for name, value in headers.items() for item in ("-H", f"{name}: {value}")),
    ]
    process = await asyncio.create_subprocess_exec(
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"},
    )
    output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")


@pytest.fixture
async def router(
    kafka: str, topic_prefix: str, postgres_url: str
) -> AsyncIterator[tuple[str, Answers]]:
    settings = keyed_settings(
        kafka=kafka,
        prefix=topic_prefix,
        database_url=postgres_url,
        crm_url="http://127.0.0.1:9/assignments",
    ).model_copy(update={"seed_demo_salespeople": True})
    answers = Answers(create_router(settings))
    async with serving(answers) as base_url:  # type: ignore[arg-type]
        yield base_url, answers


@pytest.fixture
async def scorer(kafka: str, topic_prefix: str) -> AsyncIterator[tuple[str, Answers]]:
    settings = ScorerSettings(
        kafka=service_kafka(kafka, topic_prefix, "scorer", client="fuzz"),
        webhooks=webhook_settings("http://127.0.0.1:9"),
    )
    answers = Answers(create_scorer(settings))
    async with serving(answers) as base_url:  # type: ignore[arg-type]
        yield base_url, answers


def _report(service: str, answers: Answers, output: str) -> str:
    figures = f"{service}: {answers.total} requests, {answers.server_errors} answers >= 500"
    print(figures, dict(sorted(answers.statuses.items())))
    return f"{figures}\n{output[-6000:]}"


async def test_the_router_answers_the_fuzzer_only_as_documented(
    router: tuple[str, Answers], tmp_path: Path
) -> None:
    base_url, answers = router
    code, output = await fuzz(base_url, report=tmp_path, headers={"X-API-Key": ADMIN_KEY})
    summary = _report("router", answers, output)
    assert answers.total > 0, summary
    assert answers.server_errors == 0, summary
    assert code == 0, summary


async def test_the_scorer_answers_the_fuzzer_only_as_documented(
    scorer: tuple[str, Answers], tmp_path: Path
) -> None:
    base_url, answers = scorer
    code, output = await fuzz(base_url, report=tmp_path, headers={})
    summary = _report("scorer", answers, output)
    assert answers.total > 0, summary
    assert answers.server_errors == 0, summary
    assert code == 0, summary
