"""What every command shares: options read from the environment too, and running a
coroutine with failures turned into a message and an exit code."""

import asyncio
from collections.abc import Coroutine
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from leadrouter_cli.errors import CliError, ExitCode

T = TypeVar("T")

stderr = Console(stderr=True)

BootstrapServers = Annotated[
    str,
    typer.Option(
        "--bootstrap-servers",
        "-b",
        envvar="LEADROUTER_BOOTSTRAP_SERVERS",
        help="Kafka bootstrap servers, host:port[,host:port].",
        show_envvar=True,
    ),
]
DEFAULT_BOOTSTRAP = "127.0.0.1:9092"


def fail(error: CliError) -> typer.Exit:
    stderr.print(f"[bold red]error:[/] {error.message}", highlight=False, soft_wrap=True)
    return typer.Exit(int(error.code))


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine``; a ``CliError`` exits with its code, Ctrl-C with 130."""
    try:
        return asyncio.run(coroutine)
    except CliError as error:
        raise fail(error) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def usage(message: str) -> typer.Exit:
    return fail(CliError(message, ExitCode.USAGE))


def progress_bar(doing: str, console: Console) -> Progress:
    """The bar a long command shows on stderr while it works (gone once done)."""
    return Progress(
        TextColumn(doing),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


DatabaseUrl = Annotated[
    str | None,
    typer.Option(help="SQLAlchemy async URL of the router's database (default: ROUTER_DB__URL)."),
]
"""The ``--database-url`` option of the commands that open the router's database."""
