"""The whole system as separate processes, as ``make run`` starts them."""

import signal
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.servers import ServiceProcess, free_port
from tests.support.waiting import eventually


def router_process(
    ports: Mapping[str, int],
    urls: Mapping[str, str],
    kafka_env: Mapping[str, str],
    *,
    db: str,
    logs: Path,
    env: Mapping[str, str] | None = None,
) -> ServiceProcess:
    """The router as a process on ``ports["router"]`` (the demo team seeded), delivering
    to the CRM at ``urls["crm"]``; ``kafka_env`` its Kafka settings (``TOPIC_PREFIX``,
    ...), ``db`` its database's URL, its log in the folder ``logs``."""
    return ServiceProcess(
        "leadrouter_router",
        {
            "ROUTER_HTTP__PORT": str(ports["router"]),
            "ROUTER_KAFKA__GROUP_ID": f"{kafka_env['TOPIC_PREFIX']}router",
            "ROUTER_DB__URL": db,
            "ROUTER_CRM__URL": f"{urls['crm']}/assignments",
            "ROUTER_SEED_DEMO_SALESPEOPLE": "true",
            **{f"ROUTER_KAFKA__{k}": v for k, v in kafka_env.items()},
            **(env or {}),
        },
        logs / "router.log",
    )


@contextmanager
def running_system(
    kafka: str,
    topic_prefix: str,
    database_url: str,
    tmp_path: Path,
    *,
    router_env: Mapping[str, str] | None = None,
    scorer_env: Mapping[str, str] | None = None,
    crm_env: Mapping[str, str] | None = None,
) -> Iterator[dict[str, str]]:
    """The CRM simulator, the scorer and the router; their URLs and the logs' folder.
    Each must stop cleanly on SIGTERM."""
    ports = {name: free_port() for name in ("scorer", "router", "crm")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    kafka_env = {
        "BOOTSTRAP_SERVERS": kafka,
        "TOPIC_PREFIX": topic_prefix,
    }
    processes = [
        ServiceProcess(
            "leadrouter_crm_simulator",
            {"CRM_SIMULATOR_PORT": str(ports["crm"]), **(crm_env or {})},
            tmp_path / "crm.log",
        ),
        ServiceProcess(
            "leadrouter_scorer",
            {
                "SCORER_HTTP__PORT": str(ports["scorer"]),
                "SCORER_KAFKA__GROUP_ID": f"{topic_prefix}scorer",
                # No router publishes campaigns here yet: score with the default model.
                "SCORER_ACCEPT_UNKNOWN_CAMPAIGNS": "true",
                "SCORER_LOG__JSON": "true",
                **{f"SCORER_KAFKA__{k}": v for k, v in kafka_env.items()},
                **(scorer_env or {}),
            },
            tmp_path / "scorer.log",
        ),
        router_process(
            ports,
            urls,
            kafka_env,
            db=database_url,
            logs=tmp_path,
            env={"ROUTER_LOG__JSON": "true", **(router_env or {})},
        ),
    ]
    try:
        yield {**urls, "logs": str(tmp_path)}
    finally:
        exits = {process.module: process.stop() for process in reversed(processes)}
    # uvicorn re-raises the SIGTERM it handled once shut down, so -15 is a clean exit
    # when the lifespan finished (it logs `<service>.stopped`).
    unclean = {
        p.module: p.output()
        for p in processes
        if exits[p.module] not in (0, -signal.SIGTERM)
        or (p.module != "leadrouter_crm_simulator" and ".stopped" not in p.output())
    }
    assert not unclean, f"not stopped cleanly by SIGTERM: {exits}\n{unclean}"


@pytest.fixture
def system(
    kafka: str, topic_prefix: str, database_url: str, tmp_path: Path
) -> Iterator[dict[str, str]]:
    with running_system(kafka, topic_prefix, database_url, tmp_path) as urls:
        yield urls


async def assigned_leads(
    http: httpx.AsyncClient, router_url: str, correlation_id: str
) -> list[dict[str, Any]] | None:
    """The leads of ``correlation_id`` once the first is assigned (None before, and
    while the router does not answer: for ``eventually``)."""
    try:
        page = await http.get(f"{router_url}/v1/leads", params={"correlation_id": correlation_id})
    except httpx.TransportError:
        return None
    items: list[dict[str, Any]] = page.json()["items"] if page.is_success else []
    return items if items and items[0]["assignments"] else None


async def crm_posts(http: httpx.AsyncClient, crm_url: str) -> list[dict[str, Any]] | None:
    """What the CRM simulator received, once it received something."""
    received: list[dict[str, Any]] = (await http.get(f"{crm_url}/requests")).json()
    return received or None


async def system_ready(http: httpx.AsyncClient, system: Mapping[str, str]) -> None:
    """Wait until the scorer and the router are ready and the CRM simulator answers."""
    for name in ("scorer", "router", "crm"):
        path = "/healthz" if name == "crm" else "/readyz"

        async def ready(url: str = f"{system[name]}{path}") -> bool | None:
            try:
                return (await http.get(url)).status_code == 200 or None
            except httpx.TransportError:
                return None

        await eventually(ready, timeout_s=90, what=f"{name} ready")
