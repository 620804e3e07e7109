"""``python -m leadrouter_chaos [--profile short|long] [--seed N]``: one chaos run.

Exits 0 when every promise held, 1 on any violation (or a run that did not
settle), 2 when the system could not be set up. The table goes to stdout, the
details (report.json, every process's log) to the work directory.
"""

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import httpx

from leadrouter_chaos.processes import ROOT, ChaosError
from leadrouter_chaos.profiles import PROFILES
from leadrouter_chaos.runner import Outcome, run, save, table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leadrouter_chaos", description=__doc__)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="short")
    parser.add_argument("--seed", type=int, default=None, help="default: the profile's")
    parser.add_argument("--workdir", type=Path, default=None, help="default: var/chaos/<profile>")
    args = parser.parse_args(argv)
    profile = PROFILES[args.profile].seeded(args.seed)
    workdir = args.workdir or ROOT / "var" / "chaos" / profile.name
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr
    )
    for noisy in ("aiokafka", "httpx", "kafka"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    try:
        outcome = asyncio.run(_interruptible(run(profile, workdir)))
    except (ChaosError, httpx.HTTPError, OSError) as error:
        print(f"chaos: the run could not go on: {error!r}", file=sys.stderr)
        return 2
    except asyncio.CancelledError:
        print("chaos: interrupted; everything it started is stopped", file=sys.stderr)
        return 2
    for line in table(outcome):
        print(line)
    save(outcome, workdir / "report.json")
    return 0 if outcome.ok else 1


async def _interruptible(work: Coroutine[Any, Any, Outcome]) -> Outcome:
    """SIGTERM and SIGINT cancel the run, so that its clean-up stops what it started."""
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    return await task


if __name__ == "__main__":
    raise SystemExit(main())
