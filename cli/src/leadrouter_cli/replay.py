"""``leadrouter replay``: stored leads re-scored and re-decided as of their original
time, against a candidate policy and/or scoring model, on the router's database;
nothing is written (docs/outcomes.md#replay).

It runs here, not through the router's API job, because re-scoring needs the scorer's
pure scoring function and the router does not carry the scorer's code: this command
is where the two meet (docs/decisions/0701-replay-in-the-router-scoring-from-the-
caller.md)."""

import csv
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from leadrouter_cli.common import DatabaseUrl, progress_bar, run, usage
from leadrouter_cli.errors import CliError, ExitCode
from leadrouter_cli.reports import Since, span
from leadrouter_runtime.problems import Problem

CURRENT_MODEL = "current"
CSV_COLUMNS = (
    "lead_id",
    "received_at",
    "campaign_id",
    "changes",
    "grade_before",
    "grade_after",
    "mql_before",
    "mql_after",
    "owner_before",
    "owner_after",
    "decision_before",
    "decision_after",
    "via_after",
    "observed_outcome",
)


def _policy_document(path: Path) -> Any:
    from leadrouter_router.policies.policy import PolicyDocument

    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise usage(f"--policy {path}: {error}") from error
    try:
        return PolicyDocument.model_validate(loaded)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise usage(f"--policy {path}: {where}: {first['msg']}") from error


def rescoring(campaigns: Mapping[str, Any], versions: Mapping[str, Any] | None = None) -> Any:
    """Scores a stored lead with its campaign's current model (the scorer's default
    when it has none), or with the fitted model version given for its campaign in
    ``versions``, as the scorer would have at the time it was received."""
    from leadrouter_schemas import LeadScoredData, Score, ScoringModel
    from leadrouter_scorer.scoring.default_model import DEFAULT_MODEL
    from leadrouter_scorer.scoring.score import score

    models: dict[str, ScoringModel] = dict(versions or {})

    def model_of(campaign_id: str) -> ScoringModel:
        if campaign_id not in models:
            row = campaigns.get(campaign_id)
            models[campaign_id] = (
                ScoringModel.model_validate(row.scoring) if row and row.scoring else DEFAULT_MODEL
            )
        return models[campaign_id]

    def rescore(data: LeadScoredData) -> Score:
        lead = data.lead
        row = campaigns.get(lead.campaign_id)
        received = lead.received_at or lead.submitted_at
        return score(
            lead,
            model_of(lead.campaign_id),
            campaign_kind=row.kind if row else None,
            age=received - lead.submitted_at,
        )

    return rescore


async def _replay(
    url: str,
    *,
    since: datetime,
    until: datetime,
    campaign_id: str | None,
    candidate: Any,
    model: str | None,
    progress: Progress,
) -> Any:
    from leadrouter_router.platform.db import create_engine, session_factory
    from leadrouter_router.replay import repository
    from leadrouter_router.replay.service import replay_window

    engine = create_engine(url)
    task = progress.add_task("replaying", total=None)
    try:
        async with session_factory(engine)() as session:
            try:
                rescore = None
                if model is not None:
                    versions = await _fitted_version(session, model)
                    rescore = rescoring(await repository.all_campaigns(session), versions)
                return await replay_window(
                    session,
                    since=since,
                    until=until,
                    campaign_id=campaign_id,
                    candidate=candidate,
                    rescore=rescore,
                    progress=lambda done, total: progress.update(task, completed=done, total=total),
                )
            finally:
                await session.rollback()  # a replay writes nothing
    except Problem as error:  # e.g. the candidate names a pool that is no team
        raise CliError(f"{error.title}: {error.detail}", ExitCode.USAGE) from error
    except OSError as error:
        raise CliError(f"cannot reach the database: {error}", ExitCode.UNREACHABLE) from error
    finally:
        await engine.dispose()


async def _fitted_version(session: Any, model: str) -> dict[str, Any]:
    """``--model VERSION``: the fitted version for its campaign (``leadrouter model
    fit``); ``current``: none, every campaign keeps its model."""
    from leadrouter_router.learning import repository as learning
    from leadrouter_schemas import ScoringModel

    if model == CURRENT_MODEL:
        return {}
    row = await learning.by_version(session, model)
    if row is None:
        raise CliError(
            f"--model: no model version {model!r}; `{CURRENT_MODEL}` or a version that"
            " `leadrouter model fit CAMPAIGN` made",
            ExitCode.USAGE,
        )
    return {row.campaign_id: ScoringModel.model_validate(row.model)}


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _minutes(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} min"


def write_csv(path: Path, report: Any) -> int:
    """Every lead that moves, one a row; returns how many."""
    names = {str(row.salesperson_id): row.name for row in report.load}
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(CSV_COLUMNS)
        for moved in report.moved_leads:
            row = moved.model_dump(mode="json")
            row["changes"] = "+".join(moved.changes)
            for side in ("owner_before", "owner_after"):
                row[side] = names.get(row[side] or "", row[side] or "")
            writer.writerow([row[column] for column in CSV_COLUMNS])
    return len(report.moved_leads)


def show(report: Any, console: Console) -> None:
    console.print(
        f"{report.leads} leads replayed ({report.policy} policy"
        + (", re-scored" if report.rescored else "")
        + f"): {report.moved} would move"
        + (f" ({', '.join(f'{k} {v}' for k, v in sorted(report.changed.items()))})")
        + f"; the replay of what is in force agrees with the recorded first owner for"
        f" {_share(report.recorded_owner_agreement)} of them",
        highlight=False,
    )
    load = Table(title="leads per salesperson")
    for column, justify in (("salesperson", "left"), ("before", "right"), ("after", "right")):
        load.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in report.load:
        load.add_row(row.name or str(row.salesperson_id), str(row.before), str(row.after))
    load.add_row("Gini", _share(report.gini_before), _share(report.gini_after))
    console.print(load)
    sla = Table(title="SLA exposure")
    for column, justify in (("", "left"), ("before", "right"), ("after", "right")):
        sla.add_column(column, justify=justify)  # type: ignore[arg-type]
    before, after = report.sla_before, report.sla_after
    for label, left, right in (
        ("assigned", before.assigned, after.assigned),
        ("unassigned (no SLA)", before.unassigned, after.unassigned),
        ("with a target", before.with_target, after.with_target),
        ("deferred by working hours", before.deferred, after.deferred),
        (
            "median time to the deadline",
            _minutes(before.p50_minutes_to_deadline),
            _minutes(after.p50_minutes_to_deadline),
        ),
    ):
        sla.add_row(label, str(left), str(right))
    console.print(sla)
    outcomes = Table(title="what really became of the leads that would move (context)")
    outcomes.add_column("observed outcome")
    outcomes.add_column("leads", justify="right")
    for outcome, number in sorted(report.outcomes_of_moved.items(), key=lambda i: -i[1]):
        outcomes.add_row(outcome, str(number))
    console.print(outcomes)


def replay(
    since: Since = "90d",
    policy: Annotated[
        Path | None,
        typer.Option(help="Candidate policy (YAML, as PUT /v1/policies takes) for every lead."),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="Re-score with each campaign's scoring model as it is now (`current`), or"
            " with a fitted model version (`leadrouter model fit`) for its campaign;"
            " without it, leads keep the scores they were routed with."
        ),
    ] = None,
    campaign_id: Annotated[str | None, typer.Option(help="One campaign only.")] = None,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Write every lead that would move to this CSV.")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Re-score and re-decide the leads received in the last SINCE as of their original
    time, against a candidate policy and/or scoring model; nothing is written.

    Shows the leads whose grade, MQL status or owner would change, the load per
    salesperson and its Gini before and after, the SLA exposure, and what really became
    of the leads that would move (context, not a promise).
    """
    from leadrouter_router.settings import Settings

    try:
        period = span(since)
    except ValueError as error:
        raise usage(f"--since: {error}") from error
    candidate = _policy_document(policy) if policy is not None else None
    url = database_url or Settings().db.url
    until = datetime.now(UTC)
    console = Console(stderr=True)
    with progress_bar("replaying", console) as progress:
        result = run(
            _replay(
                url,
                since=until - period,
                until=until,
                campaign_id=campaign_id,
                candidate=candidate,
                model=model,
                progress=progress,
            )
        )
    from leadrouter_router.replay.endpoints import report_out

    report = report_out(result, moved_shown=None)
    show(report, Console())
    if csv_file is not None:
        written = write_csv(csv_file, report)
        console.print(f"{written} leads that would move written to {csv_file}", highlight=False)
