"""``leadrouter demo``: campaign responses in our generic JSON format, sent to the
scorer's ``POST /v1/webhooks/generic`` at a steady rate, then a summary."""

import asyncio
import json
import random
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table
from standardwebhooks import Webhook

from leadrouter_cli.common import fail, progress_bar, run
from leadrouter_cli.errors import CliError, ExitCode
from leadrouter_cli.history.command import history

FIRST_NAMES = ["Ada", "Grace", "Alan", "Margaret", "Linus", "Barbara", "Dennis", "Frances"]
LAST_NAMES = ["Lovelace", "Hopper", "Turing", "Hamilton", "Torvalds", "Liskov", "Ritchie"]
TITLES = ["CTO", "Head of Sales", "Marketing Manager", "Founder", "Student", "IT Director"]
COUNTRIES = ["ES", "DE", "FR", "GB", "US", "NL", "IT"]
COMPANIES = [("Analytical Engines", "example.com", 40), ("Difference Ltd", "example.org", 900)]


def demo_lead(index: int, *, run_id: str, campaign_id: str, rng: random.Random) -> dict[str, Any]:
    """One plausible response; ``external_id`` is unique per run, so nothing is deduped."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    name, domain, employees = rng.choice(COMPANIES)
    return {
        "campaign_id": campaign_id,
        "external_id": f"demo-{run_id}-{index}",
        "contact": {
            "email": f"{first}.{last}.{index}@{domain}".lower(),
            "first_name": first,
            "last_name": last,
            "job_title": rng.choice(TITLES),
            "country": rng.choice(COUNTRIES),
        },
        "company": {"name": name, "domain": domain, "employees": employees},
        "consent": {"given": True, "text": "You may contact me about this offer."},
        "answers": {"interest": rng.choice(["demo", "pricing", "newsletter"])},
        "attribution": {"utm_source": "leadrouter-demo", "utm_medium": "cli"},
    }


def signature_headers(secret: str, body: bytes, *, msg_id: str, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers of ``body`` (the scorer's generic webhook), made by
    that project's own library: https://www.standardwebhooks.com."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, body.decode()),
    }


def outcome(response: httpx.Response | BaseException) -> str:
    if isinstance(response, httpx.Response):
        return str(response.status_code)
    return type(response).__name__


async def send(
    *,
    url: str,
    rate: float,
    count: int,
    campaign_id: str,
    secret: str | None,
    seed: int,
    on_done: Callable[[str], None],
) -> Counter[str]:
    """POST ``count`` leads, the i-th at start + i/rate; count the outcomes."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    run_id = uuid.uuid4().hex[:8]
    outcomes: Counter[str] = Counter()
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(timeout=10) as client:

        async def post(index: int) -> None:
            body = json.dumps(
                demo_lead(index, run_id=run_id, campaign_id=campaign_id, rng=rng)
            ).encode()
            headers = {
                "Content-Type": "application/json",
                "X-Correlation-ID": f"demo-{run_id}-{index}",
            }
            if secret:
                msg_id = f"msg_demo_{run_id}_{index}"
                headers |= signature_headers(secret, body, msg_id=msg_id, at=datetime.now(UTC))
            result: httpx.Response | BaseException
            try:
                result = await client.post(url, content=body, headers=headers)
            except httpx.HTTPError as error:
                result = error
            outcomes[outcome(result)] += 1
            on_done(outcome(result))

        start = loop.time()
        tasks = []
        for index in range(count):
            # Pacing, not synchronisation: the i-th request leaves at its slot.
            delay = start + index / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(post(index)))
        await asyncio.gather(*tasks)
    return outcomes


demo_app = typer.Typer(
    help="Demo traffic to the scorer, or a demo history in the router's database.",
    invoke_without_command=True,
)
demo_app.command("history")(history)


@demo_app.callback()
def demo(
    ctx: typer.Context,
    rate: Annotated[float, typer.Option(min=0.1, max=1000, help="Requests per second.")] = 5,
    count: Annotated[int, typer.Option(min=1, max=100_000, help="Requests in all.")] = 50,
    scorer_url: Annotated[
        str,
        typer.Option(envvar="LEADROUTER_SCORER_URL", help="Base URL of the scorer."),
    ] = "http://127.0.0.1:8001",
    campaign_id: Annotated[str, typer.Option(help="Campaign of every lead.")] = "spring-demo",
    secret: Annotated[
        str | None,
        typer.Option(
            envvar="LEADROUTER_WEBHOOK_SECRET",
            help="Sign each body the Standard Webhooks way with this `whsec_...` secret.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the generated leads.")] = 1,
) -> None:
    """Send COUNT demo leads to the scorer's generic webhook at RATE per second, then stop
    (``demo history`` fills the router's database with past leads instead)."""
    if ctx.invoked_subcommand is not None:
        return
    url = scorer_url.rstrip("/") + "/v1/webhooks/generic"
    console = Console(stderr=True)
    with progress_bar("sending leads", console) as progress:
        task = progress.add_task("send", total=count)
        outcomes = run(
            send(
                url=url,
                rate=rate,
                count=count,
                campaign_id=campaign_id,
                secret=secret,
                seed=seed,
                on_done=lambda _: progress.advance(task),
            )
        )
    table = Table(title=f"{count} requests to {url}")
    table.add_column("status")
    table.add_column("requests", justify="right")
    for status, number in sorted(outcomes.items()):
        table.add_row(status, str(number))
    Console().print(table)
    accepted = sum(n for s, n in outcomes.items() if s.startswith("2"))
    typer.echo(f"accepted {accepted} of {count}")
    if not any(s.isdigit() for s in outcomes):
        raise fail(CliError(f"cannot reach {url}", ExitCode.UNREACHABLE))
    if accepted < count:
        raise typer.Exit(int(ExitCode.FAILED))
