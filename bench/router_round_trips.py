"""Round trips to PostgreSQL per batch routed, by batch size.

    uv run python -m bench.router_round_trips [--sizes 10,100,500] [--batches 5]
        [--postgres postgresql://postgres@127.0.0.1:55432/postgres]

Seeds a fresh database with the engine benchmark's world (as ``bench.router_throughput``
does), then sends batches of new ``LeadScored`` records through the consumer's batch
handler (``RouteScoredLeads``) and counts, per batch: the statements sent
(SQLAlchemy's ``before_cursor_execute``: an executemany counts once), the connection
checks on checkout (``pool_pre_ping``), and the transaction's BEGIN and COMMIT. The
first batch (configuration read, statements prepared) is shown apart from the
median of the rest. A count, not a time: it is the same on any machine.
"""

import argparse
import asyncio
import random
import statistics
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import CollectorRegistry
from sqlalchemy import event

from bench.router_engine import NOW, build_world
from bench.router_throughput import (
    consumer_records,
    drop_postgres,
    fresh_postgres,
    records,
    seed,
)
from leadrouter_router.platform.db import create_engine, session_factory
from leadrouter_router.routing.handlers import RouteScoredLeads
from leadrouter_router.routing.metrics import RoutingMetrics
from leadrouter_runtime.logging import configure_logging
from leadrouter_runtime.settings import LogSettings


class RoundTrips:
    """Counts what goes to the server, by kind."""

    def __init__(self, sync_engine: Any) -> None:
        self.counts: Counter[str] = Counter()
        self.statements: list[str] = []
        event.listen(sync_engine, "before_cursor_execute", self._statement)
        event.listen(sync_engine, "begin", lambda _: self.counts.update(["begin"]))
        event.listen(sync_engine, "commit", lambda _: self.counts.update(["commit"]))
        event.listen(sync_engine, "rollback", lambda _: self.counts.update(["rollback"]))
        dialect = sync_engine.dialect
        ping = dialect.do_ping

        def counted_ping(dbapi_connection: Any) -> bool:
            self.counts.update(["ping"])
            return bool(ping(dbapi_connection))

        dialect.do_ping = counted_ping

    def _statement(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.counts.update(["statement"])
        self.statements.append(" ".join(statement.split())[:90])

    def take(self) -> tuple[Counter[str], list[str]]:
        counts, statements = self.counts, self.statements
        self.counts, self.statements = Counter(), []
        return counts, statements


async def measure(url: str, size: int, batches: int, *, show: bool) -> None:
    rng = random.Random(size)
    values = records(size * batches, rng)
    engine = create_engine(url)
    trips = RoundTrips(engine.sync_engine)
    sessions = session_factory(engine)
    number = 0

    def clock() -> datetime:
        return NOW + timedelta(seconds=number)

    handler = RouteScoredLeads(
        sessions=sessions,
        assigned_topic="leads.assigned",
        clock=clock,
        on_committed=lambda: None,
        metrics=RoutingMetrics(CollectorRegistry()),  # as in the service: its gauges read too
    )
    per_batch = []
    for number in range(batches):
        batch = values[number * size : (number + 1) * size]
        assert not await handler(consumer_records(batch, number * size))
        counts, statements = trips.take()
        per_batch.append(counts)
        if show and number == batches - 1:
            for line in statements:
                print(f"    {line}")
    await engine.dispose()

    def total(counts: Counter[str]) -> int:
        return sum(counts.values())

    rest = per_batch[1:] or per_batch
    kinds = sorted({kind for counts in rest for kind in counts})
    detail = ", ".join(f"{kind} {statistics.median(c[kind] for c in rest):g}" for kind in kinds)
    print(
        f"batch of {size:4}: {statistics.median(total(c) for c in rest):4g} round trips "
        f"({detail}); first batch {total(per_batch[0])}"
    )


async def run(args: argparse.Namespace) -> None:
    configure_logging(LogSettings(level="WARNING"))
    world = build_world(random.Random(7))
    name, url = await fresh_postgres(args.postgres)
    try:
        await seed(url, world)
        for size in (int(s) for s in args.sizes.split(",")):
            await measure(url, size, args.batches, show=args.show)
    finally:
        await drop_postgres(args.postgres, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10,100,500")
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:55432/postgres")
    parser.add_argument("--show", action="store_true", help="print the last batch's statements")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
