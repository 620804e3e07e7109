"""What every command shares: options read from the environment too, and running a
coroutine with failures turned into a message and an exit code."""

import asyncio
from collections.abc import Coroutine
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

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
