"""What a user would write instead of the scorer's consumer: FastStream handlers doing
the same scoring (the scorer's own :class:`BatchJudge`), one message or one batch at a
time. The side-by-side drain (``bench/suite.py``) runs them as subprocesses:

    python -m bench.faststream_scorer --mode message|batch --prefix P --bootstrap HOST:PORT

FastStream's defaults otherwise (its acknowledgement policy: offsets auto-committed;
its producer's ``linger_ms=0``, which a handler awaiting each publish needs), with the
producer made as durable as ours (idempotent, ``acks=all``) so that the comparison is
of the consumer code, not of durability settings.
"""

import argparse
import asyncio
import logging
from datetime import UTC, datetime

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from leadrouter_runtime.kafka import OutboundRecord
from leadrouter_schemas import Campaign, topics
from leadrouter_scorer.campaigns.catalogue import CampaignCatalogue
from leadrouter_scorer.scoring.default_model import DEFAULT_MODEL
from leadrouter_scorer.scoring.handlers import BatchJudge

CAMPAIGN_ID = "bench-demo"  # the campaign bench/scorer_throughput.py publishes


def judge_for(prefix: str) -> BatchJudge:
    catalogue = CampaignCatalogue()
    catalogue.put(Campaign(campaign_id=CAMPAIGN_ID, name="Bench", version=1, kind="webinar"))
    return BatchJudge(
        catalogue=catalogue,
        default_model=DEFAULT_MODEL,
        accept_unknown_campaigns=False,
        scored_topic=prefix + topics.LEADS_SCORED,
        rejected_topic=prefix + topics.LEADS_REJECTED,
    )


def broker_for(bootstrap: str, prefix: str, *, batch: bool) -> KafkaBroker:
    # Its per-message log lines at DEBUG, below the default level: the scorer runs at
    # WARNING in the drain, and the terminal is not what is measured.
    broker = KafkaBroker(bootstrap, enable_idempotence=True, acks="all", log_level=logging.DEBUG)
    judge = judge_for(prefix)

    async def publish(record: OutboundRecord) -> None:
        headers = {name: value.decode() for name, value in record.headers}
        await broker.publish(record.value, record.topic, key=record.key, headers=headers)

    source = prefix + topics.LEADS_RECEIVED
    group = f"{prefix}faststream-{'batch' if batch else 'message'}"
    if batch:

        @broker.subscriber(
            source, group_id=group, auto_offset_reset="earliest", batch=True, max_records=500
        )
        async def score_batch(message: KafkaMessage) -> None:
            records: tuple[ConsumerRecord[bytes, bytes], ...] = message.raw_message
            verdicts = judge(records, datetime.now(UTC)).verdicts
            await asyncio.gather(*(publish(v) for v in verdicts))

    else:

        @broker.subscriber(source, group_id=group, auto_offset_reset="earliest")
        async def score_one(message: KafkaMessage) -> None:
            record: ConsumerRecord[bytes, bytes] = message.raw_message
            for verdict in judge([record], datetime.now(UTC)).verdicts:
                await publish(verdict)

    return broker


async def serve(bootstrap: str, prefix: str, *, batch: bool) -> None:
    broker = broker_for(bootstrap, prefix, batch=batch)
    await broker.start()
    try:
        await asyncio.Event().wait()  # until the bench terminates the process
    finally:
        await broker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["message", "batch"], required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--bootstrap", required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.bootstrap, args.prefix, batch=args.mode == "batch"))


if __name__ == "__main__":
    main()
