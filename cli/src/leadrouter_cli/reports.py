"""``leadrouter report leakage``: the router's leak report (``GET /v1/reports/leakage``)
as tables, one per cause."""

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from leadrouter_cli.api import DEFAULT_ROUTER, ApiKey, RouterUrl, call, client
from leadrouter_cli.common import run, usage

report_app = typer.Typer(help="Reports of the router, as tables.", no_args_is_help=True)

LEAKAGE_PATH = "/v1/reports/leakage"
OUTCOMES = ("won", "lost", "bought_elsewhere", "unreachable")
CAUSES = {
    "time": ("by_time_to_first_touch", "time to first touch"),
    "grade": ("by_grade", "grade"),
    "source": ("by_source", "source"),
    "salesperson": ("by_salesperson", "salesperson"),
    "pool": ("by_pool", "pool"),
    "sla": ("by_sla", "SLA"),
}
_SPAN = re.compile(r"^(\d+)([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

Since = Annotated[
    str,
    typer.Option(help="How far back the period starts: 90d, 12h, 2w, 30m (to: now)."),
]


def span(text: str) -> timedelta:
    """``90d`` -> 90 days (m, h, d, w); ValueError otherwise."""
    found = _SPAN.match(text.strip())
    if found is None or int(found.group(1)) == 0:
        raise ValueError(f"{text!r} is not a span such as 90d, 12h, 2w or 30m")
    return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _interval(value: list[float] | None) -> str:
    return "-" if not value else f"{100 * value[0]:.0f}-{100 * value[1]:.0f}%"


def leak_table(title: str, rows: list[dict[str, Any]]) -> Table:
    table = Table(title=title)
    table.add_column(title.split(" by ", 1)[-1])
    for column in ("leads", "closed", "won", "lost", "bought elsewhere", "(95%)", "unreachable"):
        table.add_column(column, justify="right")
    for row in rows:
        rates = row["rates"]
        table.add_row(
            row.get("name") or row["key"],
            str(row["leads"]),
            str(row["closed"]),
            _percent(rates["won"]),
            _percent(rates["lost"]),
            _percent(rates["bought_elsewhere"]),
            _interval(row["intervals"]["bought_elsewhere"]),
            _percent(rates["unreachable"]),
        )
    return table


@report_app.command("leakage")
def leakage(
    since: Since = "30d",
    campaign_id: Annotated[str | None, typer.Option(help="One campaign only.")] = None,
    by: Annotated[
        list[str] | None,
        typer.Option(help=f"Only these causes ({', '.join(CAUSES)}); repeat. Default: all."),
    ] = None,
    router_url: RouterUrl = DEFAULT_ROUTER,
    api_key: ApiKey = None,
) -> None:
    """Where leads leak: outcome rates of the leads received in the period, by time
    to first touch, grade, source, salesperson, pool and SLA met or missed.

    Rates are shares of the closed leads of each group; (95%) is the Wilson interval
    of the bought-elsewhere rate. GET /v1/reports/leakage (read scope).
    """
    try:
        period = span(since)
    except ValueError as error:
        raise usage(f"--since: {error}") from error
    unknown = sorted(set(by or ()) - set(CAUSES))
    if unknown:
        raise usage(f"--by: no cause {', '.join(unknown)} (one of {', '.join(CAUSES)})")
    until = datetime.now(UTC)
    params = {"from": (until - period).isoformat(), "to": until.isoformat()}
    if campaign_id is not None:
        params["campaign_id"] = campaign_id

    async def fetch() -> dict[str, Any]:
        async with client(router_url, api_key) as http:
            body: dict[str, Any] = (await call(http, "GET", LEAKAGE_PATH, params=params)).json()
            return body

    report = run(fetch())
    console = Console()
    overall = report["overall"]
    console.print(
        f"{overall['leads']} assigned leads received in the last {since}"
        + (f" ({campaign_id})" if campaign_id else "")
        + f", {overall['closed']} closed: won {_percent(overall['rates']['won'])},"
        f" bought elsewhere {_percent(overall['rates']['bought_elsewhere'])}",
        highlight=False,
    )
    for cause in by or CAUSES:
        field, title = CAUSES[cause]
        console.print(leak_table(f"leakage by {title}", report[field]))
