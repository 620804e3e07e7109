"""Start a service, or migrate the router's database: the same entry points as
``python -m leadrouter_scorer``, ``python -m leadrouter_router [serve|migrate]`` and
``python -m leadrouter_crm_simulator``. Options become the services' environment
variables, which their ``Settings`` read (the command line is the process edge)."""

import os
from typing import Annotated

import typer

from leadrouter_cli.common import DatabaseUrl, fail
from leadrouter_cli.errors import CliError

Host = Annotated[
    str | None, typer.Option(help="Interface to listen on (default: the service's setting).")
]
Port = Annotated[int | None, typer.Option(help="Port to listen on (default: the service's).")]


def _set(name: str, value: object) -> None:
    if value is not None:
        os.environ[name] = str(value)


def scorer(host: Host = None, port: Port = None) -> None:
    """Run the scorer: webhooks and the leads.received consumer (SCORER_* settings)."""
    _set("SCORER_HTTP__HOST", host)
    _set("SCORER_HTTP__PORT", port)
    from leadrouter_scorer.__main__ import main  # imported here: `--help` stays fast

    main()


def router(host: Host = None, port: Port = None) -> None:
    """Run the router: REST API, leads.scored consumer, outbox relay (ROUTER_* settings)."""
    _set("ROUTER_HTTP__HOST", host)
    _set("ROUTER_HTTP__PORT", port)
    from leadrouter_router.__main__ import main

    raise typer.Exit(main(["leadrouter_router", "serve"]))


def crm_simulator(host: Host = None, port: Port = None) -> None:
    """Run the CRM simulator, a stand-in CRM for demos (CRM_SIMULATOR_* settings)."""
    _set("CRM_SIMULATOR_HOST", host)
    _set("CRM_SIMULATOR_PORT", port)
    from leadrouter_crm_simulator.__main__ import main

    main()


def migrate(
    database_url: DatabaseUrl = None,
) -> None:
    """Bring the router's database schema up to date (Alembic); idempotent."""
    _set("ROUTER_DB__URL", database_url)
    from leadrouter_router.__main__ import main

    try:
        code = main(["leadrouter_router", "migrate"])
    except Exception as error:
        # A database that cannot be reached or migrated: say which, without a traceback.
        raise fail(CliError(f"migration failed: {type(error).__name__}: {error}")) from error
    typer.echo("database schema is up to date")
    raise typer.Exit(code)
