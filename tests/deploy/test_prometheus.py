"""Checks of ``deploy/prometheus`` and of what the services expose at ``/metrics``.

1. The scrape configuration and the alert rules pass ``promtool check config`` /
   ``promtool check rules``, and the rules' unit tests (``prometheus-rules-test.yml``)
   pass ``promtool test rules``.
2. The real ``/metrics`` output of both services (built in-process against the real
   broker, the router on a SQLite file) passes ``promtool check metrics``: the text
   format parses and the names follow Prometheus' conventions.
   The alert rules and the Grafana dashboard only use metric names found in that
   output; the dashboard's panels query the provisioned Prometheus data source.

promtool comes from ``deploy/prometheus/tools.sh install``; without it this module
skips, except under ``CI`` where it fails.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import httpx
import pytest
import yaml

from leadrouter_router.app import create_app as create_router
from leadrouter_router.settings import CrmSettings, DatabaseSettings
from leadrouter_router.settings import Settings as RouterSettings
from leadrouter_scorer.app import create_app as create_scorer
from leadrouter_scorer.settings import Settings as ScorerSettings
from tests.support.kafka import service_kafka
from tests.support.servers import serving
from tests.support.tools import installed, tool_path

# Tier (tests/conftest.py): promtool runs as a process, the router on a SQLite file.
pytestmark = [pytest.mark.process, pytest.mark.database]

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
RULES_TEST = Path(__file__).with_name("prometheus-rules-test.yml")
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "leadrouter.json"
METRIC_NAME = re.compile(r"\b(?:scorer|router)_[a-z_]+\b")


def dashboard_exprs() -> list[str]:
    """Every PromQL query of the Grafana dashboard (rows hold no queries)."""
    dashboard = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def rule_exprs() -> list[str]:
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


@pytest.fixture(scope="module")
def promtool() -> str:
    return installed(
        tool_path("deploy/prometheus/tools.sh", "promtool"),
        "bash deploy/prometheus/tools.sh install",
    )


def run(promtool: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool, *args], input=stdin, capture_output=True, text=True, cwd=ROOT, check=False
    )


def test_scrape_config_is_valid_and_loads_the_rules(promtool: str) -> None:
    result = run(promtool, "check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    targets = {
        job["job_name"]: [t for sc in job["static_configs"] for t in sc["targets"]]
        for job in config["scrape_configs"]
    }
    assert targets == {"scorer": ["scorer:8001"], "router": ["router:8002"]}


def test_alert_rules_are_valid(promtool: str) -> None:
    result = run(promtool, "check", "rules", str(PROMETHEUS / "alerts.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 6 rules found" in result.stdout


def test_alert_rules_unit_tests(promtool: str) -> None:
    result = run(promtool, "test", "rules", str(RULES_TEST))
    assert result.returncode == 0, result.stdout + result.stderr


async def scorer_metrics(kafka: str, topic_prefix: str) -> str:
    settings = ScorerSettings(kafka=service_kafka(kafka, topic_prefix, "scorer"))
    async with serving(create_scorer(settings)) as base_url, httpx.AsyncClient() as client:
        response = await client.get(f"{base_url}/metrics")
    response.raise_for_status()
    return response.text


async def router_metrics(kafka: str, topic_prefix: str, tmp_path: Path) -> str:
    settings = RouterSettings(
        kafka=service_kafka(kafka, topic_prefix, "router"),
        db=DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'router.db'}"),
        # No lead flows here, so nothing is delivered; the URL only has to parse.
        crm=CrmSettings(url="http://127.0.0.1:9/assignments", timeout_s=1),
        seed_demo_salespeople=True,
    )
    async with serving(create_router(settings)) as base_url, httpx.AsyncClient() as client:
        response = await client.get(f"{base_url}/metrics")
    response.raise_for_status()
    return response.text


async def test_metrics_pass_promtool_and_cover_the_rules(
    promtool: str, kafka: str, topic_prefix: str, tmp_path: Path
) -> None:
    exported = {
        "scorer": await scorer_metrics(kafka, topic_prefix),
        "router": await router_metrics(kafka, topic_prefix, tmp_path),
    }
    for service, text in exported.items():
        assert f"# TYPE {service}_" in text
        result = run(promtool, "check", "metrics", stdin=text)
        # promtool prints one line per problem (lint) and exits non-zero on any.
        problems = (result.stdout + result.stderr).strip()
        assert result.returncode == 0, f"{service}: {problems}"
        assert not problems, f"{service}: {problems}"

    families = {
        name
        for text in exported.values()
        for name in re.findall(r"^# TYPE (\S+) ", text, flags=re.MULTILINE)
    }
    # Counters are typed by family name (no _total); samples carry the suffixes.
    names = families | {
        f"{f}{suffix}" for f in families for suffix in ("_total", "_bucket", "_sum", "_count")
    }
    for source, exprs in {"alerts.yml": rule_exprs(), DASHBOARD.name: dashboard_exprs()}.items():
        used = {word for expr in exprs for word in METRIC_NAME.findall(expr)}
        assert len(used) >= 5, f"{source}: too few metric names found: {used}"
        assert used <= names, f"{source} uses metrics no service exports: {sorted(used - names)}"


def test_dashboard_queries_use_the_provisioned_data_source() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    datasources = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text()
    )["datasources"]
    uids = {source["uid"] for source in datasources}
    panels = [panel for panel in dashboard["panels"] if panel["type"] != "row"]
    assert panels
    for panel in panels:
        assert panel["targets"], f"panel {panel['title']!r} has no query"
        assert panel["datasource"]["uid"] in uids, panel["title"]
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])
