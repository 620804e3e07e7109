"""The system under test, all on loopback: a broker and a PostgreSQL cluster of its
own, the CRM simulator, two scorers, two routers (and a third for rebalances)."""

import asyncio
import base64
import contextlib
import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from leadrouter_chaos.processes import (
    ROOT,
    Broker,
    ChaosError,
    Postgres,
    Service,
    free_port,
)
from leadrouter_runtime.topics import ensure_topics, load_specs

log = logging.getLogger("chaos")

CAMPAIGN = "chaos"
SLA_CAMPAIGN = "chaos-sla"
SALESPEOPLE = 6
READY_S = 120.0

# Short timeouts and leases so that a fault is recovered in seconds, not minutes:
# the CRM's read timeout below the `hang` fault's delay, the lease above the
# timeout (a claimed delivery of a killed router is taken again after it).
ROUTER_TUNING = {
    "ROUTER_CRM__TIMEOUT_S": "2",
    "ROUTER_CRM__CONNECT_TIMEOUT_S": "1",
    "ROUTER_CRM__POOL_TIMEOUT_S": "2",
    "ROUTER_OUTBOX__POLL_INTERVAL_S": "0.5",
    "ROUTER_OUTBOX__LEASE_S": "8",
    "ROUTER_OUTBOX__BACKOFF_BASE_S": "0.2",
    "ROUTER_OUTBOX__BACKOFF_MAX_S": "4",
    "ROUTER_SLA__CHECK_INTERVAL_S": "2",
    "ROUTER_ROUTING__RECHECK_INTERVAL_S": "5",
}


def setup_document() -> str:
    """The routing set-up (PUT /v1/config): one team always at work, two campaigns,
    one with a one-minute accept target so that SLA breaches re-assign leads."""
    people = [
        {
            "name": f"Chaos Seller {n}",
            "email": f"seller{n}@chaos.example",
            "crm_user_id": f"crm-chaos-{n}",
            "teams": ["chaos"],
        }
        for n in range(1, SALESPEOPLE + 1)
    ]
    document = {
        "version": 1,
        "teams": [{"name": "chaos"}],
        "salespeople": people,
        "policies": [{"name": "default", "rules": [{"name": "all", "pool": "chaos"}]}],
        "campaigns": [
            {"campaign_id": CAMPAIGN, "name": "Chaos", "policy": "default"},
            {
                "campaign_id": SLA_CAMPAIGN,
                "name": "Chaos with a service level",
                "policy": "default",
                "sla": {"accept_within_minutes": 1},
            },
        ],
    }
    return json.dumps(document)  # JSON is YAML


@dataclass(frozen=True, slots=True)
class Keys:
    """Made up per run: the router's API keys and the webhook's signing secret."""

    admin: str = field(default_factory=lambda: secrets.token_hex(16))
    crm: str = field(default_factory=lambda: secrets.token_hex(16))
    webhook: str = field(
        default_factory=lambda: "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    )
    """Of the Standard Webhooks form (``whsec_`` + base64 of the key)."""


@dataclass
class System:
    workdir: Path
    broker: Broker
    postgres: Postgres
    crm: Service
    scorers: list[Service]
    routers: list[Service]
    spare_router: Service
    keys: Keys
    started: list[str] = field(default_factory=list)

    @classmethod
    def plan(cls, workdir: Path) -> "System":
        logs = workdir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        keys = Keys()
        broker = Broker(free_port(pair=True), workdir / "kafka", logs / "kafka.sh.log")
        postgres = Postgres(free_port(), logs / "pg.sh.log")
        crm_port = free_port()
        crm = Service(
            "crm",
            "leadrouter_crm_simulator",
            {"CRM_SIMULATOR_PORT": str(crm_port)},
            f"http://127.0.0.1:{crm_port}/healthz",
            logs / "crm.log",
        )

        def scorer(n: int) -> Service:
            port = free_port()
            return Service(
                f"scorer-{n}",
                "leadrouter_scorer",
                {
                    "SCORER_KAFKA__BOOTSTRAP_SERVERS": broker.bootstrap,
                    "SCORER_HTTP__PORT": str(port),
                    "SCORER_WEBHOOKS__GENERIC__SECRETS": json.dumps([keys.webhook]),
                    "SCORER_WEBHOOKS__GENERIC__RATE_LIMIT_PER_SECOND": "1000",
                    "SCORER_WEBHOOKS__GENERIC__RATE_LIMIT_BURST": "1000",
                },
                f"http://127.0.0.1:{port}/readyz",
                logs / f"scorer-{n}.log",
            )

        def router(n: int) -> Service:
            port = free_port()
            api_keys = [
                {"name": "chaos-admin", "key": keys.admin, "scope": "admin"},
                {"name": "chaos-crm", "key": keys.crm, "scope": "crm"},
            ]
            return Service(
                f"router-{n}",
                "leadrouter_router",
                {
                    "ROUTER_KAFKA__BOOTSTRAP_SERVERS": broker.bootstrap,
                    "ROUTER_HTTP__PORT": str(port),
                    "ROUTER_DB__URL": postgres.sqlalchemy_url,
                    "ROUTER_CRM__URL": f"http://127.0.0.1:{crm_port}/assignments",
                    "ROUTER_AUTH__API_KEYS": json.dumps(api_keys),
                    **ROUTER_TUNING,
                },
                f"http://127.0.0.1:{port}/readyz",
                logs / f"router-{n}.log",
            )

        return cls(
            workdir=workdir,
            broker=broker,
            postgres=postgres,
            crm=crm,
            scorers=[scorer(1), scorer(2)],
            routers=[router(1), router(2)],
            spare_router=router(3),
            keys=keys,
        )

    @property
    def crm_url(self) -> str:
        return self.crm.health_url.removesuffix("/healthz")

    def url(self, service: Service) -> str:
        return service.health_url.removesuffix("/readyz")

    def services(self) -> list[Service]:
        return [self.crm, *self.scorers, *self.routers, self.spare_router]

    async def start(self, http: httpx.AsyncClient) -> None:
        log.info("starting the broker on %s", self.broker.bootstrap)
        await self.broker.start()
        self.started.append("broker")
        await ensure_topics(
            self.broker.bootstrap, load_specs(ROOT / "deploy" / "kafka" / "topics.toml")
        )
        log.info("starting PostgreSQL on 127.0.0.1:%s", self.postgres.port)
        await self.postgres.start()
        self.started.append("postgres")
        self.crm.start()
        await self.crm.wait_ready(http, timeout_s=READY_S)
        # One router first: it migrates the empty database alone.
        for router in self.routers:
            router.start()
            await router.wait_ready(http, timeout_s=READY_S)
        answer = await http.put(
            f"{self.url(self.routers[0])}/v1/config",
            content=setup_document(),
            headers={"content-type": "application/yaml", "x-api-key": self.keys.admin},
        )
        if answer.status_code != 200:
            raise ChaosError(f"PUT /v1/config answered {answer.status_code}: {answer.text}")
        for scorer in self.scorers:
            scorer.start()
        await asyncio.gather(*(s.wait_ready(http, timeout_s=READY_S) for s in self.scorers))

    async def stop(self) -> None:
        """Everything this run started, also after a failure (best effort, in order)."""
        for service in reversed(self.services()):
            await asyncio.to_thread(service.stop)
        if "postgres" in self.started:
            with contextlib.suppress(Exception):
                await self.postgres.clean()
        if "broker" in self.started:
            with contextlib.suppress(Exception):
                await self.broker.clean()

    async def restart(self, service: Service, http: httpx.AsyncClient) -> float:
        """Start ``service`` again; seconds from start to ready."""
        began = time.monotonic()
        service.start()
        await service.wait_ready(http, timeout_s=READY_S)
        return time.monotonic() - began
