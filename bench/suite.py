"""``make bench``: every benchmark side by side in one run, one table.

    uv run python -m bench.suite [--rounds 3] [--quick] [--write docs/performance.md]
        [--bootstrap 127.0.0.1:29092] [--postgres postgresql://postgres@127.0.0.1:55432/postgres]
        [--json var/bench/latest.json] [--before bench/results/before-2f89a5e.json]

Per round, interleaved so that the machine's load weighs on every contender alike:
the Kafka drain (raw aiokafka passthrough, FastStream per-message and batch handlers,
the scorer; bench/drain.py), the router against a store-only consumer on PostgreSQL
and SQLite (bench/stores.py, reusing bench/router_throughput.py), and the whole
pipeline webhook -> CRM simulator (bench/pipeline.py). Each figure in the table is the
median of the rounds (peak RSS: the largest), and is shown against its baseline from
the same run. ``--quick`` (``BENCH_QUICK=1``): small sizes, one round.

With ``--write``, the table replaces the part of the page between the
``bench:start``/``bench:end`` markers (the rest of the page is left alone), with the
machine's cores, the load average before and after, the date and the commit; with
``--before``, a saved run (``--json`` writes one) goes beside it: its table and the
ratios of the two. ``--from-json`` shows (and writes) a saved run without measuring.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from bench.drain import drains
from bench.figures import (
    Figure,
    Run,
    comparison,
    load_average,
    machine,
    median_of,
    table,
)
from bench.pipeline import Sizes, pipeline
from bench.stores import stores

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


@dataclass(frozen=True)
class Plan:
    drain: int
    stores: int
    pipeline: Sizes
    rounds: int


FULL = Plan(drain=10_000, stores=5_000, pipeline=Sizes(), rounds=3)
QUICK = Plan(
    drain=3_000,
    stores=1_000,
    pipeline=Sizes(idle=15, rate=200.0, rate_seconds=3.0, saturation=600, in_flight=64),
    rounds=1,
)
# The test's size (tests/bench): every row measured, nothing timed.
TINY = Plan(
    drain=60,
    stores=40,
    pipeline=Sizes(idle=3, rate=20.0, rate_seconds=1.0, saturation=30, in_flight=8),
    rounds=1,
)


def commit() -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return done.stdout.strip() or "unknown"


def measure(
    plan: Plan, bootstrap: str, postgres: str, logs: Path, say: Callable[[str], None]
) -> list[Figure]:
    rounds: list[list[Figure]] = []
    for number in range(1, plan.rounds + 1):
        figures: list[Figure] = []
        started = time.monotonic()
        figures += asyncio.run(drains(bootstrap, plan.drain, logs, round_number=number))
        figures += stores(postgres, plan.stores, logs)
        figures += asyncio.run(pipeline(bootstrap, postgres, plan.pipeline, logs))
        rounds.append(figures)
        took = time.monotonic() - started
        say(f"round {number}/{plan.rounds} ({took:.0f} s, load {load_average()}):")
        for line in table(figures):
            say("  " + line)
    return median_of(rounds)


def conditions(plan: Plan) -> str:
    return (
        f"the median of {plan.rounds} interleaved round(s): drain {plan.drain:,} records, "
        f"stores {plan.stores:,} leads, pipeline {plan.pipeline.idle} idle leads, "
        f"{plan.pipeline.rate:.0f} leads/s offered for {plan.pipeline.rate_seconds:.0f} s, "
        f"{plan.pipeline.saturation:,} leads at {plan.pipeline.in_flight} in flight"
    )


def section(latest: Run, before: Run | None) -> list[str]:
    lines = [
        START,
        "## The table (`make bench`)",
        "",
        latest.heading() + " Broker and database on the same machine, shared with other "
        "work: compare ratios and CPU-seconds, not absolute rates.",
        "",
        *table(latest.figures),
        "",
    ]
    if before is not None:
        lines += [
            f"### Before and after (`{before.commit}` → `{latest.commit}`)",
            "",
            "Better by: a rate after / before, a latency before / after (p99).",
            "",
            *comparison(before.figures, latest.figures),
            "",
            f"### Before issue 15 (`{before.commit}`)",
            "",
            before.heading(),
            "",
            *table(before.figures),
            "",
        ]
    lines.append(END)
    return lines


def write(page: Path, lines: list[str]) -> None:
    text = page.read_text() if page.exists() else "# Performance\n\n"
    block = "\n".join(lines)
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        title, _, body = text.partition("\n\n")
        text = f"{title}\n\n{block}\n\n{body}"
    page.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--drain", type=int, help="records each drain contender reads")
    parser.add_argument("--stores", type=int, help="leads through each store and router")
    parser.add_argument("--saturation", type=int, help="leads of the pipeline's saturation")
    parser.add_argument(
        "--quick", action="store_true", default=os.environ.get("BENCH_QUICK", "") not in ("", "0")
    )
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--bootstrap", default="127.0.0.1:29092")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:55432/postgres")
    parser.add_argument("--write", type=Path, help="the docs page to put the table in")
    parser.add_argument("--json", type=Path, help="save the figures (for a later --before)")
    parser.add_argument("--before", type=Path, help="a saved run to compare with")
    parser.add_argument(
        "--from-json", type=Path, help="show (and --write) a saved run instead of measuring"
    )
    parser.add_argument("--logs", type=Path, default=ROOT / "var" / "bench")
    args = parser.parse_args()
    plan = TINY if args.tiny else QUICK if args.quick else FULL
    plan = Plan(
        drain=args.drain or plan.drain,
        stores=args.stores or plan.stores,
        pipeline=replace(plan.pipeline, saturation=args.saturation or plan.pipeline.saturation),
        rounds=args.rounds or plan.rounds,
    )
    args.logs.mkdir(parents=True, exist_ok=True)

    def say(line: str) -> None:
        print(line, flush=True)

    if args.from_json:
        latest = Run.from_json(json.loads(args.from_json.read_text()))
    else:
        load_before = load_average()
        say(f"make bench: {machine()}, load {load_before}, commit {commit()}, {plan}")
        figures = measure(plan, args.bootstrap, args.postgres, args.logs, say)
        latest = Run(
            commit=commit(),
            when=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            machine=machine(),
            load_before=load_before,
            load_after=load_average(),
            conditions=conditions(plan),
            figures=figures,
        )
    before = None
    if args.before and args.before.exists():
        before = Run.from_json(json.loads(args.before.read_text()))
    lines = section(latest, before)
    say("")
    for line in lines[1:-1]:
        say(line)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(latest.to_json(), indent=1) + "\n")
    if args.write:
        write(args.write, lines)
        say(f"written to {args.write}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
