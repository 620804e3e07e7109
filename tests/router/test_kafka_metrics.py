"""The router's /metrics against the real broker, PostgreSQL and the CRM simulator:
lag on leads.scored that grows while records wait and drops to 0 once handled,
records in and out per topic and partition, a dead letter counted, and the
webhook-to-CRM time observed once per assignment delivered."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
from prometheus_client.parser import text_string_to_metric_families

from leadrouter_router.settings import CrmSettings, DatabaseSettings, OutboxSettings, Settings
from leadrouter_schemas import Company, LeadScored, encode, topics
from tests.router.conftest import running_router
from tests.support.kafka import produce, read_all, service_kafka
from tests.support.samples import scored
from tests.support.waiting import eventually

WAITED_S = 30.0  # how long before the test each lead "reached the webhook"


def lead(n: int, received_at: datetime) -> bytes:
    event: LeadScored = scored(f"lead{n}@company{n}.example", f"corr-{n}")
    lead = event.data.lead.model_copy(
        update={"company": Company(name=f"Company {n}"), "received_at": received_at}
    )
    return encode(event.model_copy(update={"data": event.data.model_copy(update={"lead": lead})}))


def samples(text: str, name: str, **labels: str) -> dict[tuple[str, ...], float]:
    """(label values...) -> value of every sample ``name`` that has ``labels``."""
    return {
        tuple(v for k, v in sorted(sample.labels.items()) if k not in labels): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    }


async def test_metrics_show_lag_records_dead_letters_and_the_webhook_to_crm_time(
    kafka: str, topic_prefix: str, postgres_url: str, crm: httpx.AsyncClient
) -> None:
    scored_topic = topic_prefix + topics.LEADS_SCORED
    assigned_topic = topic_prefix + topics.LEADS_ASSIGNED
    settings = Settings(
        kafka=service_kafka(kafka, topic_prefix, "router"),
        db=DatabaseSettings(url=postgres_url),
        crm=CrmSettings(url=str(crm.base_url.join("/assignments")), timeout_s=5),
        outbox=OutboxSettings(poll_interval_s=0.1, backoff_base_s=0.05, backoff_max_s=0.3),
        seed_demo_salespeople=True,
        lag_interval_s=0.1,
    )
    async with running_router(settings) as router:

        async def metrics() -> str:
            return (await router.get("/metrics")).text

        async def lag() -> dict[tuple[str, ...], float] | None:
            found = samples(await metrics(), "router_consumer_lag", topic=scored_topic)
            return found if len(found) == 3 else None  # every partition of leads.scored

        assert sum((await eventually(lag, what="lag exported")).values()) == 0

        # Records wait while the leads table is locked (a stuck transaction elsewhere).
        locker = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg", "postgresql"))
        try:
            async with locker.transaction():
                await locker.execute("LOCK TABLE leads IN ACCESS EXCLUSIVE MODE")
                webhook_at = datetime.now(UTC) - timedelta(seconds=WAITED_S)
                await produce(kafka, scored_topic, [lead(n, webhook_at) for n in range(3)])

                async def grown() -> bool:
                    return sum((await lag() or {}).values()) == 3

                await eventually(grown, what="lag 3 while the records wait")
        finally:
            await locker.close()

        await produce(kafka, scored_topic, [b'{"type": "lead.scored", "broken": true}'])

        on_topic = Counter(str(r.partition) for r in await read_all(kafka, scored_topic))
        every_record = {(p,): float(n) for p, n in on_topic.items()}

        async def handled() -> str | None:
            text = await metrics()
            waiting = samples(text, "router_consumer_lag", topic=scored_topic)
            timed = samples(text, "router_lead_webhook_to_crm_seconds_count", crm="generic")
            consumed = samples(text, "router_records_consumed_total", topic=scored_topic)
            produced = samples(text, "router_records_produced_total", topic=assigned_topic)
            done = len(waiting) == 3 and sum(waiting.values()) == 0 and timed == {(): 3}
            return (
                text if done and consumed == every_record and sum(produced.values()) == 3 else None
            )

        text = await eventually(
            handled, what=f"lag 0, {dict(on_topic)} consumed, three leads assigned and timed"
        )

    assert samples(text, "router_dead_letters_total", topic=scored_topic + ".dlq") == {(): 1.0}
    produced = samples(text, "router_records_produced_total", topic=assigned_topic)
    on_assigned = Counter(str(r.partition) for r in await read_all(kafka, assigned_topic))
    assert produced == {(p,): float(n) for p, n in on_assigned.items()}
    assert len((await crm.get("/assignments")).json()) == 3
    (elapsed,) = samples(text, "router_lead_webhook_to_crm_seconds_sum", crm="generic").values()
    assert 3 * WAITED_S <= elapsed < 3 * (WAITED_S + 60)
