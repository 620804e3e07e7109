"""``leadrouter demo history``: fill a router database with generated leads and
outcomes (docs/outcomes.md#history)."""

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from leadrouter_cli.common import DatabaseUrl, progress_bar, run
from leadrouter_cli.errors import CliError, ExitCode
from leadrouter_cli.history.store import HistoryRefusedError, Written, fill


async def _fill(
    url: str, *, leads: int, days: float, seed: int, topic_prefix: str, progress: Progress
) -> Written:
    from leadrouter_router.platform.db import create_engine, migrate, session_factory

    engine = create_engine(url)
    try:
        await migrate(engine)
        task = progress.add_task("history", total=leads)
        async with session_factory(engine)() as session, session.begin():
            try:
                return await fill(
                    session,
                    leads_count=leads,
                    days=days,
                    seed=seed,
                    now=datetime.now(UTC),
                    topic_prefix=topic_prefix,
                    progress=lambda n: progress.advance(task, n),
                )
            except HistoryRefusedError as error:
                raise CliError(str(error), ExitCode.USAGE) from error
    finally:
        await engine.dispose()


def history(
    leads: Annotated[int, typer.Option(min=1, max=1_000_000, help="Leads to generate.")] = 20_000,
    days: Annotated[float, typer.Option(min=1, max=3650, help="Over this many past days.")] = 90,
    seed: Annotated[int, typer.Option(help="Seed: the same seed, the same history.")] = 1,
    database_url: DatabaseUrl = None,
    topic_prefix: Annotated[
        str | None,
        typer.Option(help="Topic prefix of the router (default: ROUTER_KAFKA__TOPIC_PREFIX)."),
    ] = None,
) -> None:
    """Fill an empty router database with LEADS leads received over the past DAYS days
    and what became of them (a seeded generative model, docs/outcomes.md#history)."""
    from leadrouter_router.settings import Settings

    settings = Settings()
    url = database_url or settings.db.url
    prefix = settings.kafka.topic_prefix if topic_prefix is None else topic_prefix
    console = Console(stderr=True)
    with progress_bar("writing history", console) as progress:
        written = run(
            _fill(url, leads=leads, days=days, seed=seed, topic_prefix=prefix, progress=progress)
        )
    table = Table(title=f"{written.leads} leads over {days:g} days (seed {seed})")
    table.add_column("outcome")
    table.add_column("leads", justify="right")
    for outcome, number in sorted(written.outcomes.items()):
        table.add_row(outcome, str(number))
    Console().print(table)
    typer.echo(
        f"wrote {written.leads} leads, {written.assignments} assignments,"
        f" {written.callbacks} callbacks"
    )
