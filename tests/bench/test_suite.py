"""``make bench``'s harness at its smallest size: every row of the table measured and
the table written into the page, the page's other sections kept. Nothing is timed
here: the figures themselves are the benchmark's business (docs/performance.md)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.process  # it starts the services, the drain's contenders

ROWS = {
    "drain.raw": "rate",
    "drain.faststream-message": "rate",
    "drain.faststream-batch": "rate",
    "drain.scorer": "rate",
    "store.postgresql": "rate",
    "router.postgresql": "rate",
    "store.sqlite": "rate",
    "router.sqlite": "rate",
    "pipeline.idle": "p99_ms",
    "pipeline.offered": "p99_ms",
    "pipeline.saturation": "rate",
    "pipeline.saturation_latency": "p99_ms",
    "pipeline.process.scorer": "cpu_s_per_1000",
    "pipeline.process.router": "cpu_s_per_1000",
    "pipeline.process.crm": "cpu_s_per_1000",
    "pipeline.process.load": "cpu_s_per_1000",
}


@pytest.mark.timeout(900)
def test_every_row_of_the_bench_table_has_a_figure(
    kafka: str, postgres_server: str, tmp_path: Path
) -> None:
    page = tmp_path / "performance.md"
    page.write_text("# Performance\n\nWhat this page is.\n\n## Scorer\n\nAnother helper's.\n")
    saved = tmp_path / "run.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.suite", "--tiny", "--bootstrap", kafka,
         "--postgres", postgres_server, "--json", str(saved), "--write", str(page),
         "--logs", str(tmp_path / "logs")],
        cwd=ROOT, capture_output=True, text=True, timeout=840, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]

    figures = {row["key"]: row for row in json.loads(saved.read_text())["figures"]}
    missing = {key for key, number in ROWS.items() if not (figures.get(key) or {}).get(number)}
    assert not missing, figures
    assert all(figures[key]["peak_rss_mb"] for key in figures if key.startswith("pipeline.process"))

    text = page.read_text()
    assert "| drain: scorer consumer |" in text
    assert "load average" in text
    assert text.endswith("## Scorer\n\nAnother helper's.\n")
    assert text.startswith("# Performance\n\n<!-- bench:start -->")
