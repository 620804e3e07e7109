"""Thin clients of the router's REST API: the routing set-up as YAML
(``GET``/``PUT /v1/config``) and what-if routing (``POST /v1/routing/simulate``).
The router validates; this only carries documents and shows answers."""

import csv
import io
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from leadrouter_cli.common import run, usage
from leadrouter_cli.errors import CliError, ExitCode
from leadrouter_schemas import Company, Contact, Lead, Score

config_app = typer.Typer(help="The routing set-up as one YAML document.", no_args_is_help=True)

CONFIG_PATH = "/v1/config"
SIMULATE_PATH = "/v1/routing/simulate"
SALESPEOPLE_PATH = "/v1/salespeople"
YAML_TYPE = "application/yaml"  # RFC 9512

RouterUrl = Annotated[
    str,
    typer.Option(envvar="LEADROUTER_ROUTER_URL", help="Base URL of the router's API."),
]
ApiKey = Annotated[
    str | None,
    typer.Option(
        envvar="LEADROUTER_API_KEY", help="API key, sent as a bearer token.", show_envvar=True
    ),
]
DEFAULT_ROUTER = "http://127.0.0.1:8002"

# CSV columns that fill the lead's contact and company; the rest become answers.
CONTACT_COLUMNS = (
    "email",
    "first_name",
    "last_name",
    "phone",
    "job_title",
    "language",
    "country",
    "region",
    "postal_code",
)
COMPANY_COLUMNS = {"company": "name", "company_domain": "domain", "employees": "employees"}
LEAD_COLUMNS = ("campaign_id", "external_id", "form_id", "source")
SCORE_COLUMNS = ("score", "grade")
MAX_BATCH = 500  # the API takes at most 500 leads a request


def client(router_url: str, api_key: str | None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    return httpx.AsyncClient(base_url=router_url.rstrip("/"), headers=headers, timeout=30)


def problem_message(response: httpx.Response) -> str:
    """``<status> <title>: <detail>`` from an RFC 9457 problem document, else the body."""
    detail = response.text.strip()[:500]
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        body = response.json()
        parts = [body.get("title"), body.get("detail")]
        errors = body.get("errors")
        if errors:
            parts.append("; ".join(str(e) for e in errors)[:500])
        detail = ": ".join(str(p) for p in parts if p)
    request = response.request
    return f"{request.method} {request.url.path} answered {response.status_code} {detail}".rstrip()


async def call(http: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> httpx.Response:
    try:
        response = await http.request(method, path, **kwargs)
    except httpx.TransportError as error:
        raise CliError(
            f"cannot reach the router at {http.base_url}: {error}", ExitCode.UNREACHABLE
        ) from error
    if response.status_code == 404 and "problem+json" not in response.headers.get(
        "content-type", ""
    ):
        raise CliError(f"the router at {http.base_url} has no {path} (404)", ExitCode.NOT_FOUND)
    if response.status_code >= 400:
        raise CliError(problem_message(response))
    return response


@config_app.command("export")
def export(
    file: Annotated[Path, typer.Argument(help="Where to write the YAML; - for stdout.")],
    router_url: RouterUrl = DEFAULT_ROUTER,
    api_key: ApiKey = None,
) -> None:
    """Write the routing set-up to FILE as one YAML document.

    Salespeople, teams, territories, campaigns and policies, from GET /v1/config.
    """

    async def fetch() -> str:
        async with client(router_url, api_key) as http:
            response = await call(http, "GET", CONFIG_PATH, headers={"Accept": YAML_TYPE})
        if "json" in response.headers.get("content-type", ""):
            return yaml.safe_dump(response.json(), sort_keys=False, allow_unicode=True)
        return response.text

    document = run(fetch())
    if str(file) == "-":
        typer.echo(document, nl=False)
    else:
        file.write_text(document, encoding="utf-8")
        typer.echo(f"routing set-up written to {file}", err=True)


@config_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="YAML document, as `config export` writes it.")],
    prune: Annotated[
        bool, typer.Option("--prune", help="Remove or end what the document does not name.")
    ] = False,
    router_url: RouterUrl = DEFAULT_ROUTER,
    api_key: ApiKey = None,
) -> None:
    """Replace the routing set-up with the YAML document in FILE.

    PUT /v1/config: the router validates it whole and applies it in one transaction,
    or changes nothing.
    """
    if not file.is_file():
        raise usage(f"no such file: {file}")
    text = file.read_text(encoding="utf-8")
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise usage(f"{file} is not YAML: {error}") from error

    async def put() -> httpx.Response:
        async with client(router_url, api_key) as http:
            return await call(
                http,
                "PUT",
                CONFIG_PATH,
                params={"prune": "true"} if prune else None,
                content=text.encode(),
                headers={"Content-Type": YAML_TYPE, "Accept": "application/json"},
            )

    response = run(put())
    counts = response.json() if "json" in response.headers.get("content-type", "") else {}
    done = ", ".join(f"{number} {what}" for what, number in counts.items())
    typer.echo(f"routing set-up imported from {file}" + (f": {done}" if done else ""))


def _grade(value: int) -> str:
    return "A" if value >= 75 else "B" if value >= 50 else "C" if value >= 25 else "D"


def _number(values: dict[str, str], column: str, row: int, default: int) -> int:
    raw = values.get(column)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"row {row}: {column} is not a number") from None


def leads_from_csv(
    text: str, *, campaign_id: str | None, now: datetime, mql_threshold: int = 50
) -> list[dict[str, Any]]:
    """Rows to what ``POST /v1/routing/simulate`` takes: a lead (the contract) and its
    score, validated here so that a bad row is named before anything is sent. Known
    columns fill the contact and company; ``score`` (0-100, default 50) and ``grade``
    stand for the scorer's verdict; other columns become answers. Raises ``ValueError``."""
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise ValueError("the CSV has no header row")
    items = []
    for number, row in enumerate(reader, start=2):
        values = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        contact = {c: values[c] for c in CONTACT_COLUMNS if values.get(c)}
        email, external_id = contact.get("email"), values.get("external_id")
        if not email and not external_id:
            raise ValueError(f"row {number}: needs an email or an external_id")
        campaign = values.get("campaign_id") or campaign_id
        if not campaign:
            raise ValueError(f"row {number}: no campaign_id (column or --campaign-id)")
        source = values.get("source") or "csv"
        company: dict[str, Any] = {
            field: values[column] for column, field in COMPANY_COLUMNS.items() if values.get(column)
        }
        if "employees" in company:
            company["employees"] = _number(values, "employees", number, 0)
        value = _number(values, "score", number, 50)
        known = {*CONTACT_COLUMNS, *COMPANY_COLUMNS, *LEAD_COLUMNS, *SCORE_COLUMNS}
        # The scorer's key rule: `source:external_id`, else the normalised e-mail.
        key = f"{source}:{external_id}" if external_id else f"email:{(email or '').lower()}"
        try:
            lead = Lead(
                lead_key=key,
                source=source,
                external_id=external_id or None,
                campaign_id=campaign,
                form_id=values.get("form_id") or None,
                submitted_at=now,
                contact=Contact.model_validate(contact),
                company=Company.model_validate(company),
                answers={k: v for k, v in values.items() if k not in known and v},
            )
            score = Score(
                value=value,
                grade=values.get("grade") or _grade(value),
                fit=value,
                intent=value,
                is_mql=value >= mql_threshold,
                model_version="csv",
            )
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ValueError(f"row {number}: {where}: {first['msg']}") from None
        items.append({"lead": lead.model_dump(mode="json"), "score": score.model_dump(mode="json")})
    if not items:
        raise ValueError("the CSV has no rows")
    return items


def batches(items: Sequence[dict[str, Any]], size: int) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def decision_row(decision: dict[str, Any], names: dict[str, str]) -> tuple[str, str]:
    """(who, why) of one simulated decision: the salesperson's name where the router
    told it, else their id; ``unassigned`` (or the outcome) when nobody got the lead."""
    person = decision.get("salesperson_id")
    if person:
        who = names.get(str(person), str(person))
    else:
        who = str(decision.get("outcome") or "unassigned")
    via = ", ".join(str(decision[k]) for k in ("pool", "strategy") if decision.get(k))
    return who, str(decision.get("reason") or via)


async def salesperson_names(http: httpx.AsyncClient) -> dict[str, str]:
    """Id -> name, to show people rather than ids; empty if the key may not list them."""
    try:
        response = await call(http, "GET", SALESPEOPLE_PATH)
    except CliError:
        return {}
    return {str(p["id"]): str(p["name"]) for p in response.json().get("items", [])}


def simulate(
    file: Annotated[Path, typer.Argument(help="CSV of leads, one a row, with a header row.")],
    policy: Annotated[
        Path | None,
        typer.Option(help="Candidate policy (YAML) to try instead of the current one."),
    ] = None,
    campaign_id: Annotated[
        str | None, typer.Option(help="Campaign of rows that have no campaign_id column.")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=MAX_BATCH, help="Leads a request.")] = 100,
    router_url: RouterUrl = DEFAULT_ROUTER,
    api_key: ApiKey = None,
) -> None:
    """Show who would get each lead of a CSV file, and why; nothing is written.

    POST /v1/routing/simulate, against each campaign's current policy or a candidate
    (--policy). Columns: campaign_id, external_id, source, email, first_name,
    last_name, phone, job_title, language, country, region, postal_code, company,
    company_domain, employees, score (0-100, default 50), grade; any other column
    becomes an answer.
    """
    if not file.is_file():
        raise usage(f"no such file: {file}")
    try:
        leads = leads_from_csv(
            file.read_text(encoding="utf-8-sig"), campaign_id=campaign_id, now=datetime.now(UTC)
        )
    except ValueError as error:
        raise usage(f"{file}: {error}") from error
    candidate = None
    if policy is not None:
        try:
            candidate = yaml.safe_load(policy.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise usage(f"policy {policy}: {error}") from error

    async def simulate_all(progress: Progress) -> tuple[list[dict[str, Any]], dict[str, str]]:
        task = progress.add_task("simulating", total=len(leads))
        decisions: list[dict[str, Any]] = []
        async with client(router_url, api_key) as http:
            for batch in batches(leads, batch_size):
                body: dict[str, Any] = {"leads": list(batch)}
                if candidate is not None:
                    body["policy"] = candidate
                response = await call(http, "POST", SIMULATE_PATH, json=body)
                found = response.json().get("decisions")
                if not isinstance(found, list) or len(found) != len(batch):
                    raise CliError(f"unexpected answer from {SIMULATE_PATH}: {response.text:.300}")
                decisions.extend(found)
                progress.advance(task, len(batch))
            names = await salesperson_names(http)
        return decisions, names

    with Progress(console=Console(stderr=True), transient=True) as progress:
        decisions, names = run(simulate_all(progress))

    table = Table(title=f"{len(leads)} leads from {file}")
    for column in ("#", "lead", "would go to", "why"):
        table.add_column(column)
    tally: Counter[str] = Counter()
    for number, (item, decision) in enumerate(zip(leads, decisions, strict=True), start=1):
        who, why = decision_row(decision, names)
        tally[who] += 1
        table.add_row(str(number), item["lead"]["lead_key"], who, why)
    console = Console()
    console.print(table)
    summary = Table(title="summary")
    summary.add_column("would go to")
    summary.add_column("leads", justify="right")
    for who, number in tally.most_common():
        summary.add_row(who, str(number))
    console.print(summary)
