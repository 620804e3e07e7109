"""The scoring consumer on the real broker: campaigns from config.campaigns, verdicts,
the dead-letter path and the metrics ops read."""

from collections import Counter

import httpx
from prometheus_client.parser import text_string_to_metric_families

from leadrouter_schemas import (
    LeadReceived,
    LeadReceivedData,
    LeadRejected,
    LeadScored,
    ScoringModel,
    decode_as,
    encode,
    topics,
)
from leadrouter_scorer.app import create_app
from leadrouter_scorer.settings import Settings
from tests.support.kafka import produce, read_all, wait_for_records
from tests.support.samples import campaign, campaign_configured, envelope, lead
from tests.support.servers import serving
from tests.support.waiting import eventually


def lead_for(campaign_id: str, correlation_id: str) -> bytes:
    event = LeadReceived(
        data=LeadReceivedData(lead=lead(campaign_id=campaign_id)), **envelope(correlation_id)
    )
    return encode(event)


async def publish_campaign(kafka: str, prefix: str, campaign_id: str, **changes: object) -> None:
    event = campaign_configured(campaign(campaign_id, **changes))
    await produce(
        kafka, prefix + topics.CAMPAIGNS_CONFIG, [encode(event)], key=campaign_id.encode()
    )


async def test_leads_are_judged_by_the_campaigns_on_the_config_topic(
    kafka: str, topic_prefix: str, scorer_settings: Settings
) -> None:
    await publish_campaign(
        kafka, topic_prefix, "spring-demo", scoring=ScoringModel(version="spring-2")
    )
    await publish_campaign(kafka, topic_prefix, "gone")
    await produce(kafka, topic_prefix + topics.CAMPAIGNS_CONFIG, [None], key=b"gone")  # type: ignore[list-item]
    settings = scorer_settings.model_copy(update={"lag_interval_s": 0.2})

    async with (
        serving(create_app(settings)) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):
        ready = await http.get("/readyz")
        assert ready.json()["checks"] == {"kafka": "ok", "campaigns": "ok", "consumer": "ok"}
        garbage = b'{"type": "lead.received", "nonsense": true}'
        await produce(
            kafka,
            topic_prefix + topics.LEADS_RECEIVED,
            [
                lead_for("spring-demo", "c-known"),
                lead_for("nowhere", "c-unknown"),
                garbage,
                lead_for("gone", "c-deleted"),
            ],
            key=b"email:ada@example.com",
        )
        (scored,) = await wait_for_records(kafka, topic_prefix + topics.LEADS_SCORED, 1)
        rejected = await wait_for_records(kafka, topic_prefix + topics.LEADS_REJECTED, 2)
        (dead,) = await wait_for_records(kafka, topic_prefix + "leads.received.dlq", 1)

        event = decode_as(scored.value, LeadScored)
        assert (event.correlation_id, event.data.score.model_version) == ("c-known", "spring-2")
        by_correlation = {
            e.correlation_id: [r.code for r in e.data.reasons]
            for e in (decode_as(r.value, LeadRejected) for r in rejected)
        }
        assert by_correlation == {
            "c-unknown": ["campaign.unknown"],
            "c-deleted": ["campaign.unknown"],
        }
        assert dead.value == garbage  # the original bytes
        assert dead.key == b"email:ada@example.com"
        # Named by the error's type and location, never by the input's bytes.
        assert dict(dead.headers)["dlq-error-type"] == b"missing"
        assert dict(dead.headers)["dlq-error-location"] == b"occurred_at"
        assert dict(dead.headers)["dlq-reason"].startswith(b"not a LeadReceived v1: missing at")
        assert not [v for n, v in dead.headers if n.startswith("dlq-") and b"nonsense" in v]

        # A campaign configured while the scorer runs is followed.
        await publish_campaign(kafka, topic_prefix, "late", scoring=ScoringModel(version="late-1"))

        async def late_scored() -> list[LeadScored] | None:
            await produce(kafka, topic_prefix + topics.LEADS_RECEIVED, [lead_for("late", "c-late")])
            events = [
                decode_as(r.value, LeadScored)
                for r in await read_all(kafka, topic_prefix + topics.LEADS_SCORED)
            ]
            return [e for e in events if e.correlation_id == "c-late"] or None

        (late, *_) = await eventually(late_scored, timeout_s=30, interval_s=0.5, what="late")
        assert late.data.score.model_version == "late-1"

        received_topic = topic_prefix + topics.LEADS_RECEIVED

        async def metrics_settled() -> str | None:
            text = (await http.get("/metrics")).text
            lags = [
                line
                for line in text.splitlines()
                if line.startswith('scorer_consumer_lag{partition="')
            ]
            settled = len(lags) == 3 and all(line.endswith(" 0.0") for line in lags)
            # Counted once committed, so it may trail the commit the probe saw a moment.
            on_topic = Counter(str(r.partition) for r in await read_all(kafka, received_topic))
            consumed = {
                labels["partition"]: value
                for labels, value in samples(text, "scorer_records_consumed_total")
                if labels["topic"] == received_topic
            }
            counted = consumed == {p: float(n) for p, n in on_topic.items()}
            return text if settled and counted else None

        text = await eventually(metrics_settled, timeout_s=30, what="consumer lag 0")
    dlq = f"{topic_prefix}leads.received.dlq"
    assert f'scorer_dead_letters_total{{topic="{dlq}"}} 1.0' in text
    assert by_topic(text, "scorer_records_produced_total")[dlq] == 1
    assert 'scorer_rejections_total{code="campaign.unknown"} 2.0' in text
    assert 'scorer_lead_score_count{campaign_id="spring-demo"} 1.0' in text
    assert "scorer_processing_latency_seconds_bucket" in text
    assert "scorer_batch_duration_seconds_count" in text
    # Per partition: the four records with one key on one partition, the late ones anywhere.
    consumed = samples(text, "scorer_records_consumed_total")
    assert {labels["topic"] for labels, _ in consumed} == {received_topic}
    assert max(value for _, value in consumed) >= 4


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [
        (sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


def by_topic(text: str, name: str) -> dict[str, float]:
    totals: dict[str, float] = {}
    for labels, value in samples(text, name):
        totals[labels["topic"]] = totals.get(labels["topic"], 0) + value
    return totals
