"""``leadrouter model fit|compare|promote|rollback|calibration``: scoring models
fitted to outcomes, through the router's API (docs/outcomes.md#learning-from-outcomes).
Nothing is promoted by a fit: promotion is its own command, audited by the router."""

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from leadrouter_cli.api import DEFAULT_ROUTER, ApiKey, RouterUrl, call, client
from leadrouter_cli.common import run

model_app = typer.Typer(
    help="Scoring models fitted to won and lost outcomes: fit, compare, promote, roll back.",
    no_args_is_help=True,
)

Campaign = Annotated[str, typer.Argument(help="The campaign id.")]


def _models(campaign_id: str) -> str:
    return f"/v1/campaigns/{campaign_id}/models"


def _request(router_url: str, api_key: str | None, method: str, path: str) -> Any:
    async def go() -> Any:
        async with client(router_url, api_key) as http:
            return (await call(http, method, path)).json()

    return run(go())


def _figure(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def comparison(version: dict[str, Any]) -> Table:
    evaluation = version["evaluation"]
    table = Table(
        title=f"{version['campaign_id']}: {version['based_on']} (current) vs {version['version']}"
        f" (candidate), tested on the {evaluation['tested_on']} newest closed leads"
        f" (trained on {evaluation['trained_on']} older)"
    )
    table.add_column("metric")
    table.add_column("current", justify="right")
    table.add_column("candidate", justify="right")
    current, candidate = evaluation["current"], evaluation["candidate"]
    for label, key in (
        ("AUC (higher is better)", "auc"),
        ("Brier score (lower is better)", "brier"),
        ("calibration error (lower is better)", "calibration_error"),
        ("lift of the top 20%", "lift_top_20"),
    ):
        table.add_row(label, _figure(current[key]), _figure(candidate[key]))
    return table


def deciles(title: str, metrics: dict[str, Any]) -> Table:
    table = Table(title=title)
    table.add_column("score decile", justify="right")
    table.add_column("leads", justify="right")
    table.add_column("predicted win rate", justify="right")
    table.add_column("observed win rate", justify="right")
    for number, decile in enumerate(metrics["deciles"], start=1):
        table.add_row(
            str(number),
            str(decile["leads"]),
            f"{decile['predicted']:.1%}",
            f"{decile['observed']:.1%}",
        )
    return table


def _show(version: dict[str, Any]) -> None:
    console = Console()
    console.print(comparison(version))
    console.print(
        deciles("calibration of the candidate (hold-out)", version["evaluation"]["candidate"])
    )
    typer.echo(f"version {version['version']}: {version['status']}")


@model_app.command("fit")
def fit(campaign: Campaign, router_url: RouterUrl = DEFAULT_ROUTER, api_key: ApiKey = None) -> None:
    """Fit a candidate model from CAMPAIGN's closed leads and compare it with the
    current one (POST /v1/campaigns/CAMPAIGN/models; admin key). Nothing is promoted."""
    version = _request(router_url, api_key, "POST", _models(campaign))
    _show(version)
    typer.echo(f"promote it with: leadrouter model promote {campaign} {version['version']}")


@model_app.command("compare")
def compare(
    campaign: Campaign,
    version: Annotated[
        str | None, typer.Argument(help="A fitted version (default: the newest).")
    ] = None,
    router_url: RouterUrl = DEFAULT_ROUTER,
    api_key: ApiKey = None,
) -> None:
    """Current model against a fitted version, side by side, on the same hold-out."""
    if version is None:
        items = _request(router_url, api_key, "GET", _models(campaign))["items"]
        if not items:
            typer.echo(f"{campaign} has no fitted model; run: leadrouter model fit {campaign}")
            raise typer.Exit(1)
        found = items[0]
    else:
        found = _request(router_url, api_key, "GET", f"{_models(campaign)}/{version}")
    _show(found)


@model_app.command("promote")
def promote(
    campaign: Campaign,
    version: Annotated[str, typer.Argument(help="The fitted version to promote.")],
    router_url: RouterUrl = DEFAULT_ROUTER,
    api_key: ApiKey = None,
) -> None:
    """Make VERSION CAMPAIGN's model: published to the scorer, audited (admin key)."""
    row = _request(router_url, api_key, "POST", f"{_models(campaign)}/{version}/promote")
    typer.echo(f"{campaign} now scores with {row['version']} (replacing {row['based_on']})")


@model_app.command("rollback")
def rollback(
    campaign: Campaign, router_url: RouterUrl = DEFAULT_ROUTER, api_key: ApiKey = None
) -> None:
    """Back to the model the promoted version replaced: published, audited (admin key)."""
    row = _request(router_url, api_key, "POST", f"{_models(campaign)}/rollback")
    typer.echo(f"{campaign}: {row['version']} rolled back")


@model_app.command("calibration")
def calibration(router_url: RouterUrl = DEFAULT_ROUTER, api_key: ApiKey = None) -> None:
    """Predicted against observed win rate by score decile, per campaign (as the ops
    page plots it): the current scores, and the newest candidate's hold-out."""
    report = _request(router_url, api_key, "GET", "/v1/ops/calibration")
    console = Console()
    for campaign in report["campaigns"]:
        name = campaign["campaign_id"]
        if campaign["current"] is None:
            typer.echo(
                f"{name}: {campaign['closed']} closed leads, fewer than the"
                f" {report['minimum_closed']} a calibration needs"
            )
        else:
            console.print(
                deciles(f"{name}: current model {campaign['model_version']}", campaign["current"])
            )
        if campaign["candidate"] is not None:
            console.print(
                deciles(f"{name}: candidate {campaign['candidate_version']}", campaign["candidate"])
            )
