"""The chaos suite's short run (docs/reliability.md) as CI runs it: the whole system
as processes, each kind of fault at least once, and the set checker's verdict."""

import json
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from leadrouter_chaos.profiles import CRM_FAULTS, PROCESS_FAULTS


@pytest.mark.timeout(900)
@pytest.mark.process  # tier: its own broker, PostgreSQL and services as processes
@pytest.mark.broker
@pytest.mark.database
def test_the_short_chaos_run_keeps_every_promise() -> None:
    # Not under pytest's tmp_path: another pytest session of the same user may prune
    # that while this long test still writes there. Kept (named in the failure) for
    # reading the services' logs when the run failed.
    workdir = Path(tempfile.mkdtemp(prefix="leadrouter-chaos-"))
    runner = subprocess.Popen(
        [sys.executable, "-m", "leadrouter_chaos", "--profile", "short", "--workdir", workdir],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = runner.communicate(timeout=780)
    except subprocess.TimeoutExpired:
        # SIGTERM: the runner stops what it started (its broker, cluster, services).
        runner.send_signal(signal.SIGTERM)
        output, _ = runner.communicate(timeout=100)
        pytest.fail(f"the chaos run did not end in time:\n{output[-8000:]}")
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()

    assert runner.returncode == 0, f"logs in {workdir}:\n{output[-8000:]}"
    report = json.loads((workdir / "report.json").read_text())
    verdict = report["verdict"]
    assert report["ok"]
    assert verdict["violations"] == 0
    assert verdict["leads"] > 0
    assert verdict["reassigned_leads"] > 0
    # Each fault on the processes at least once, and the CRM failing meanwhile.
    assert all(report["faults"][kind] >= 1 for kind in PROCESS_FAULTS), report["faults"]
    assert sum(report["faults"][kind] for kind in CRM_FAULTS) >= 1, report["faults"]
    assert report["settle_s"] is not None
    shutil.rmtree(workdir, ignore_errors=True)
