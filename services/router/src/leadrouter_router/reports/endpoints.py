"""``GET /v1/reports/funnel`` (what became of a period's leads, the rejected ones
included) and ``GET /v1/reports/leakage`` (where they leak), read scope."""

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Query

from leadrouter_router.platform.auth import problem_entry
from leadrouter_router.platform.bodies import body_of
from leadrouter_router.platform.pagination import NameFilter
from leadrouter_router.platform.routes import ScopedRouter
from leadrouter_router.reports import repository
from leadrouter_router.reports.funnel import campaign_funnels, pool_fairness, salesperson_loads
from leadrouter_router.reports.leakage import LeakRow, leakage
from leadrouter_router.reports.schemas import (
    CampaignFunnelOut,
    FunnelReport,
    LeakageReport,
    LeakRowOut,
    PoolOut,
    SalespersonOut,
    SpreadOut,
)
from leadrouter_router.state import Session
from leadrouter_runtime.problems import Problem
from leadrouter_runtime.values import UtcDatetime

DEFAULT_PERIOD = timedelta(days=30)
RESPONSES: dict[int | str, dict[str, Any]] = {
    400: problem_entry("The period ends before it starts"),
    422: problem_entry("A query parameter is not valid"),
}

router = ScopedRouter(prefix="/v1/reports", tags=["reports"])


class EmptyPeriod(Problem):
    status = 400
    title = "The period ends before it starts"


@dataclass(frozen=True, slots=True)
class Period:
    """What a report covers: the leads received from ``since`` until before ``until``,
    of one campaign or all (the report names it with the same fields)."""

    since: datetime
    until: datetime
    campaign_id: str | None


def period(
    campaign_id: NameFilter = None,
    since: Annotated[
        UtcDatetime | None, Query(alias="from", description="Received from (default: to - 30d).")
    ] = None,
    until: Annotated[
        UtcDatetime | None, Query(alias="to", description="Received before (default: now).")
    ] = None,
) -> Period:
    until = until or datetime.now(UTC)
    since = since or until - DEFAULT_PERIOD
    if until <= since:
        raise EmptyPeriod(f"from ({since.isoformat()}) must be before to ({until.isoformat()}).")
    return Period(since, until, campaign_id)


ReportPeriod = Annotated[Period, Depends(period)]


@router.read(
    "/funnel",
    "Funnel per campaign; load, SLA and conversion per salesperson; fairness per pool",
    RESPONSES,
)
async def funnel(session: Session, period: ReportPeriod) -> FunnelReport:
    leads, assignments = await repository.period_facts(
        session, since=period.since, until=period.until, campaign_id=period.campaign_id
    )
    rejections = await repository.period_rejections(
        session, since=period.since, until=period.until, campaign_id=period.campaign_id
    )
    members = await repository.pool_members(session)
    return FunnelReport(
        **asdict(period),
        campaigns=[
            body_of(
                CampaignFunnelOut,
                f,
                **f.counts,
                rejected_by_reason=dict(f.rejected_by_reason),
                rates=dict(f.rates),
                time_to_assign=body_of(SpreadOut, f.time_to_assign),
                time_to_first_touch=body_of(SpreadOut, f.time_to_first_touch),
            )
            for f in campaign_funnels(leads, assignments, rejections)
        ],
        salespeople=[
            SalespersonOut.model_validate(load, from_attributes=True)
            for load in salesperson_loads(assignments)
        ],
        pools=[
            PoolOut.model_validate(pool, from_attributes=True)
            for pool in pool_fairness(assignments, members)
        ],
    )


@router.read(
    "/leakage",
    "Where leads leak: outcome rates by time to first touch, grade, source,"
    " salesperson, pool and SLA met or missed",
    RESPONSES,
)
async def leak_causes(session: Session, period: ReportPeriod) -> LeakageReport:
    leads, assignments = await repository.leak_facts(
        session, since=period.since, until=period.until, campaign_id=period.campaign_id
    )
    found = leakage(leads, assignments)
    names = {str(k): v for k, v in (await repository.salesperson_names(session)).items()}
    return LeakageReport(
        **asdict(period),
        overall=_leak_row(found.overall),
        by_time_to_first_touch=[_leak_row(r) for r in found.by_time_to_first_touch],
        by_grade=[_leak_row(r) for r in found.by_grade],
        by_source=[_leak_row(r) for r in found.by_source],
        by_salesperson=[_leak_row(r, names.get(r.key)) for r in found.by_salesperson],
        by_pool=[_leak_row(r) for r in found.by_pool],
        by_sla=[_leak_row(r) for r in found.by_sla],
    )


def _leak_row(row: LeakRow, name: str | None = None) -> LeakRowOut:
    return body_of(LeakRowOut, row, name=name, **row.outcomes)
