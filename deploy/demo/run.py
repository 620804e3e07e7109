"""``make run``: the whole lead router on this machine, with demo traffic.

Starts a real Kafka broker (deploy/kafka/kafka.sh), creates the topics, starts
the CRM simulator, the scorer and the router (SQLite unless ROUTER_DB__URL is
set), sends a few campaign responses to the scorer's webhook and prints what
became of each. Ctrl-C stops everything it started, in reverse order.
"""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from leadrouter_runtime.topics import ensure_topics, load_specs
from leadrouter_schemas import (
    Campaign,
    CampaignConfigured,
    CampaignConfiguredData,
    LeadRejected,
    LeadScored,
    ValidationCriteria,
    decode,
    encode,
    headers,
    topics,
)
from leadrouter_schemas.serde import AnyEvent

ROOT = Path(__file__).resolve().parents[2]
KAFKA_PORT = os.environ.get("KAFKA_PORT", "9092")
BOOTSTRAP = f"127.0.0.1:{KAFKA_PORT}"
PORTS = {"crm": 8003, "scorer": 8001, "router": 8002}
LOGS = ROOT / "var" / "logs"
# Each demo starts from an empty router database (unless ROUTER_DB__URL names one):
# the same demo people sent again would otherwise join their earlier leads.
DEMO_DB = ROOT / "var" / "demo-router.db"
# DEMO_HISTORY=1: the router's database starts with 90 days of generated leads and
# outcomes (`leadrouter demo history`, docs/outcomes.md#history), so the ops page,
# the funnel and the model fit have something to show at once.
HISTORY_LEADS = os.environ.get("DEMO_HISTORY_LEADS", "20000")

# The proof that GDPR-region leads carry (see docs/scoring.md, consent criteria).
CONSENT = {
    "given": True,
    "text": "I agree to be contacted about this offer.",
    "form_version": "spring-2026-v2",
    "given_at": "2026-11-28T09:00:00Z",
    "ip": "192.0.2.10",
}

DEMO_LEADS: list[dict[str, Any]] = [
    {
        "campaign_id": "spring-demo",
        "contact": {
            "email": "grace@hopper.example",
            "first_name": "Grace",
            "job_title": "CTO",
            "country": "US",
            "phone": "+1 202 555 0143",
        },
        "company": {"name": "Hopper Systems", "domain": "hopper.example", "employees": 250},
        "answers": {"interest": "demo", "timeline": "this quarter"},
        "attribution": {"utm_source": "newsletter", "utm_medium": "email"},
    },
    {
        "campaign_id": "spring-demo",
        "contact": {
            "email": "ada@engines.example",
            "first_name": "Ada",
            "job_title": "Head of Ops",
            "country": "GB",
        },
        "company": {"name": "Analytical Engines"},
        "answers": {"interest": "pricing"},
        "consent": CONSENT,
    },
    {
        "campaign_id": "whitepaper-2026",
        "contact": {"email": "linus@kernel.example", "country": "FI"},
        "consent": CONSENT,
    },
    {
        "campaign_id": "spring-demo",
        "contact": {"email": "not-an-email", "first_name": "Typo"},
    },
    {
        "campaign_id": "whitepaper-2026",
        "contact": {"email": "margaret@apollo.example", "job_title": "Director", "country": "US"},
        "company": {"name": "Apollo Guidance", "employees": 1200, "domain": "apollo.example"},
        "answers": {"interest": "quote", "budget": "50k"},
    },
]


# What the router would publish on config.campaigns (docs/scoring.md): the scorer
# rejects leads of campaigns it does not know.
DEMO_CAMPAIGNS = [
    Campaign(campaign_id="spring-demo", name="Spring demo days", version=1, kind="demo_request"),
    Campaign(
        campaign_id="whitepaper-2026",
        name="Whitepaper 2026",
        version=1,
        kind="content",
        criteria=ValidationCriteria(reject_free_email=True),
    ),
]


async def publish_campaigns() -> None:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for campaign in DEMO_CAMPAIGNS:
            event = CampaignConfigured(
                data=CampaignConfiguredData(campaign=campaign),
                occurred_at=datetime.now(UTC),
                source="demo",
                correlation_id=f"campaign-{campaign.campaign_id}",
            )
            await producer.send_and_wait(
                topics.CAMPAIGNS_CONFIG,
                key=campaign.campaign_id.encode(),
                value=encode(event),
                headers=headers(event),
            )
    finally:
        await producer.stop()


def say(message: str) -> None:
    # The demo's own terminal output; a closed terminal must not stop the clean-up.
    with contextlib.suppress(OSError):
        print(message, flush=True)


@dataclass
class Service:
    name: str
    module: str
    env: dict[str, str]
    process: "subprocess.Popen[bytes] | None" = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{PORTS[self.name]}"

    def start(self) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        with (LOGS / f"{self.name}.log").open("ab") as log:
            # A session of its own: Ctrl-C reaches this script only, which then
            # stops the services in order, then the broker.
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.module],
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def router_db_url() -> str:
    return os.environ.get("ROUTER_DB__URL", f"sqlite+aiosqlite:///{DEMO_DB}")


def fill_history() -> None:
    say(f"Writing the demo history ({HISTORY_LEADS} leads over 90 days) ...")
    command = ["demo", "history", "--leads", HISTORY_LEADS, "--days", "90", "--seed", "1"]
    subprocess.run(
        [sys.executable, "-m", "leadrouter_cli", *command, "--database-url", router_db_url()],
        check=True,
    )


def services() -> list[Service]:
    return [
        Service("crm", "leadrouter_crm_simulator", {"CRM_SIMULATOR_PORT": str(PORTS["crm"])}),
        Service(
            "scorer",
            "leadrouter_scorer",
            {
                "SCORER_KAFKA__BOOTSTRAP_SERVERS": BOOTSTRAP,
                "SCORER_HTTP__PORT": str(PORTS["scorer"]),
            },
        ),
        Service(
            "router",
            "leadrouter_router",
            {
                "ROUTER_KAFKA__BOOTSTRAP_SERVERS": BOOTSTRAP,
                "ROUTER_HTTP__PORT": str(PORTS["router"]),
                "ROUTER_CRM__URL": f"http://127.0.0.1:{PORTS['crm']}/assignments",
                "ROUTER_SEED_DEMO_SALESPEOPLE": "true",
                "ROUTER_DB__URL": router_db_url(),
            },
        ),
    ]


def kafka(command: str) -> None:
    subprocess.run(
        ["bash", str(ROOT / "deploy" / "kafka" / "kafka.sh"), command],
        env={**os.environ, "KAFKA_PORT": KAFKA_PORT},
        check=True,
    )


async def wait_ready(http: httpx.AsyncClient, service: Service, deadline_s: float = 90) -> None:
    path = "/healthz" if service.name == "crm" else "/readyz"
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if service.process is not None and service.process.poll() is not None:
            raise SystemExit(f"{service.name} exited; see {LOGS / service.name}.log")
        with contextlib.suppress(httpx.TransportError):
            if (await http.get(service.url + path)).status_code == 200:
                return
        await asyncio.sleep(0.2)
    raise SystemExit(f"{service.name} not ready after {deadline_s}s; see {LOGS / service.name}.log")


async def verdicts(correlation_ids: set[str], deadline_s: float = 60) -> dict[str, AnyEvent]:
    """The scored or rejected event of each demo lead, read from the topics."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topics.LEADS_SCORED,
        topics.LEADS_REJECTED,
        bootstrap_servers=BOOTSTRAP,
        group_id=f"demo-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: dict[str, AnyEvent] = {}
    deadline = time.monotonic() + deadline_s
    try:
        while set(found) < correlation_ids and time.monotonic() < deadline:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                for record in batch:
                    event = decode(record.value)
                    if event.correlation_id in correlation_ids:
                        found[event.correlation_id] = event
    finally:
        await consumer.stop()
    return found


async def deliveries(
    http: httpx.AsyncClient, correlation_ids: set[str], deadline_s: float = 60
) -> dict[str, dict[str, Any]]:
    deadline = time.monotonic() + deadline_s
    seen: dict[str, dict[str, Any]] = {}
    while time.monotonic() < deadline:
        for request in (await http.get(f"http://127.0.0.1:{PORTS['crm']}/requests")).json():
            if request["correlation_id"] in correlation_ids:
                seen[request["correlation_id"]] = request
        if len(seen) == len(correlation_ids):
            break
        await asyncio.sleep(0.2)
    return seen


def summary(
    leads: list[dict[str, Any]],
    ids: list[str],
    found: dict[str, AnyEvent],
    crm: dict[str, dict[str, Any]],
) -> Iterator[str]:
    yield f"{'lead':<28} {'verdict':<38} {'salesperson':<16} CRM"
    for lead, cid in zip(leads, ids, strict=True):
        email = lead["contact"].get("email", "?")
        event = found.get(cid)
        if isinstance(event, LeadScored):
            score = event.data.score
            verdict = f"scored {score.value:>3} grade {score.grade}" + (
                " MQL" if score.is_mql else ""
            )
        elif isinstance(event, LeadRejected):
            verdict = "rejected: " + ", ".join(r.code for r in event.data.reasons)
        else:
            verdict = "no verdict yet"
        request = crm.get(cid)
        person = request["body"]["data"]["salesperson"]["name"] if request else "-"
        posted = f"posted ({request['answered']})" if request else "-"
        yield f"{email:<28} {verdict:<38} {person:<16} {posted}"


async def demo(running: list[Service]) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        for service in running:
            await wait_ready(http, service)
        say("All services ready: scorer :8001, router :8002, CRM simulator :8003.\n")
        run_id = uuid.uuid4().hex[:6]
        ids = [f"demo-{run_id}-{n}" for n in range(len(DEMO_LEADS))]
        for body, cid in zip(DEMO_LEADS, ids, strict=True):
            response = await http.post(
                f"http://127.0.0.1:{PORTS['scorer']}/v1/webhooks/generic",
                # A submission id of this run's own: a platform gives each form fill one,
                # and without it the same body again is a redelivery (the same event).
                json={**body, "external_id": cid},
                headers={"X-Correlation-ID": cid},
            )
            say(f"webhook {body['contact']['email']:<28} -> {response.status_code}")
        found = await verdicts(set(ids))
        valid = {cid for cid, event in found.items() if isinstance(event, LeadScored)}
        crm = await deliveries(http, valid)
        say("")
        for line in summary(DEMO_LEADS, ids, found, crm):
            say(line)
        say(
            "\nOps page (live funnel, topics, dead letters, decisions):"
            " http://127.0.0.1:8002/ops"
            "\nTry: curl -s localhost:8002/v1/leads | python3 -m json.tool"
            "\n     curl -s -X POST localhost:8001/v1/webhooks/generic"
            " -H 'Content-Type: application/json'"
            ' -d \'{"campaign_id":"x","contact":{"email":"you@example.com"}}\''
            f"\nLogs: {LOGS}.  Ctrl-C stops everything."
        )


def main() -> int:
    say(f"Starting Kafka on {BOOTSTRAP} ...")
    kafka("start")
    running: list[Service] = []
    stop = asyncio.Event()
    if "ROUTER_DB__URL" not in os.environ:
        for path in DEMO_DB.parent.glob(f"{DEMO_DB.name}*"):
            path.unlink()
    try:
        created = asyncio.run(
            ensure_topics(BOOTSTRAP, load_specs(ROOT / "deploy" / "kafka" / "topics.toml"))
        )
        say(f"Topics ready ({len(created)} created).")
        asyncio.run(publish_campaigns())
        say(f"Campaigns configured: {', '.join(c.campaign_id for c in DEMO_CAMPAIGNS)}.")
        if os.environ.get("DEMO_HISTORY", "") not in ("", "0"):
            fill_history()
        for service in services():
            service.start()
            running.append(service)

        async def run_until_interrupted() -> None:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await demo(running)
            await stop.wait()

        asyncio.run(run_until_interrupted())
    finally:
        # Ctrl-C reaches every process of the terminal's group, and `uv run` passes
        # it on again: more interrupts must not cut the orderly stop short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        say("\nStopping ...")
        for service in reversed(running):
            service.stop()
        kafka("stop")
        say("Stopped.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
