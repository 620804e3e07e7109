"""Scorer throughput against a raw consume-produce passthrough, on one broker.

    uv run python bench/scorer_throughput.py [--records 20000] [--bootstrap HOST:PORT]

Without ``--bootstrap`` a broker of its own is started (deploy/kafka/kafka.sh on
port 39092) and stopped afterwards. Each contender runs as a subprocess against
topics created from deploy/kafka/topics.toml under a prefix of its own (so the
topic settings are identical):

- passthrough: aiokafka getmany -> send each value on -> await the batch -> commit,
  with the runtime's producer settings (the baseline: Kafka costs only);
- scorer: ``python -m leadrouter_scorer``, its real handler and loop.

Each contender is first warmed up by one record, then the bench produces the N
records as fast as it can. Throughput is N over the time from the first input's
timestamp to the last output's; latency is each output's timestamp minus its
input's (the record keys pair them); peak RSS is the subprocess's VmHWM.

    uv run python bench/scorer_throughput.py --in-process [--records 5000] [--profile]

measures the scorer's own work per lead without Kafka or a broker: the same
records through its batch step (``BatchJudge``: decode, criteria, score, encode,
headers) in batches of 500, against the contract round trip alone (decode and
encode each record, the floor of any consumer of these events); ``--profile``
adds a cProfile of the batch step. Each round uses new phone numbers, as the
Kafka run does, so that the phone cache flatters nothing.
"""

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from leadrouter_runtime.kafka import create_producer
from leadrouter_runtime.settings import KafkaSettings
from leadrouter_runtime.topics import delete_topics as delete_topics  # bench.pipeline uses it
from leadrouter_runtime.topics import ensure_topics, load_specs, partitions_of
from leadrouter_schemas import (
    Campaign,
    CampaignConfigured,
    CampaignConfiguredData,
    Company,
    Consent,
    Contact,
    Lead,
    LeadReceived,
    LeadReceivedData,
    decode_as,
    encode,
    headers,
    topics,
)
from leadrouter_scorer.campaigns.catalogue import CampaignCatalogue
from leadrouter_scorer.scoring.default_model import DEFAULT_MODEL
from leadrouter_scorer.scoring.handlers import BatchJudge

ROOT = Path(__file__).resolve().parents[1]
TOPICS_FILE = ROOT / "deploy" / "kafka" / "topics.toml"
OWN_BROKER_PORT = "39092"
CAMPAIGN_ID = "bench-demo"
THIS_FILE = Path(__file__).resolve()
LOGS = {name: ROOT / "var" / f"bench-{name}.log" for name in ("passthrough", "scorer")}
TITLES = ("CTO", "Head of Sales", "Director of IT", "Engineer", "Student", None, "VP Marketing")
INTERESTS = ("demo", "pricing", "download", "contact", None)


@dataclass
class Result:
    name: str
    records: int
    seconds: float
    latencies_ms: list[float]
    peak_rss_mb: float
    cpu_s: float

    @property
    def rate(self) -> float:
        return self.records / self.seconds

    def line(self) -> str:
        p50 = statistics.median(self.latencies_ms)
        p99 = statistics.quantiles(self.latencies_ms, n=100)[98]
        return (
            f"{self.name:<12} {self.rate:>10.0f} leads/s   p50 {p50:>7.1f} ms   "
            f"p99 {p99:>7.1f} ms   peak RSS {self.peak_rss_mb:>6.1f} MB   "
            f"CPU {self.cpu_s / self.records * 1e6:>4.0f} us/lead"
        )


def sample_lead(n: int, now: datetime) -> LeadReceived:
    rng = random.Random(n)
    email = f"lead-{n}@company{n % 97}.example" if n % 10 else f"lead-{n}-broken"
    country = rng.choice(("US", "ES", "DE", "GB", "CA", "BR"))
    lead = Lead(
        lead_key=f"email:lead-{n}@bench",
        source="generic",
        campaign_id=CAMPAIGN_ID,
        submitted_at=now,
        contact=Contact(
            email=email,
            first_name="Ada",
            job_title=rng.choice(TITLES),
            country=country,
            # Unique numbers, so that the scorer's phone cache flatters nothing.
            phone=rng.choice((f"+34 6{n:08d}", f"6{n:08d}", None)),
        ),
        company=Company(name=f"Company {n % 97}", employees=rng.choice((5, 40, 250, 5000, None))),
        consent=Consent(given=True, text="Contact me", given_at=now, ip="192.0.2.1"),
        answers={
            k: v
            for k, v in (("interest", rng.choice(INTERESTS)), ("timeline", "this quarter"))
            if v
        },
        raw={"form": "bench", "n": n},
    )
    return LeadReceived(
        data=LeadReceivedData(lead=lead),
        occurred_at=now,
        source="bench",
        correlation_id=f"bench-{n}",
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (``/proc/PID/stat`` fields 14-15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def passthrough_worker(bootstrap: str, prefix: str) -> None:
    """The baseline: what any Kafka consumer-producer pays, with no work in between."""
    kafka = KafkaSettings(bootstrap_servers=bootstrap, client_id="bench-pass")
    producer = create_producer(kafka, client_suffix="pass")
    consumer = AIOKafkaConsumer(
        prefix + topics.LEADS_RECEIVED,
        bootstrap_servers=bootstrap,
        group_id=f"{prefix}pass",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await producer.start()
    await consumer.start()
    out = prefix + topics.LEADS_SCORED
    try:
        while True:
            polled = await consumer.getmany(timeout_ms=200, max_records=kafka.max_batch)
            if not polled:
                continue
            pending = [
                await producer.send(out, key=r.key, value=r.value, headers=r.headers)
                for batch in polled.values()
                for r in batch
            ]
            await asyncio.gather(*pending)
            await consumer.commit({tp: batch[-1].offset + 1 for tp, batch in polled.items()})
    finally:
        await consumer.stop()
        await producer.stop()


async def read_outputs(
    bootstrap: str, names: list[str], count: int, timeout_s: float
) -> dict[bytes, int]:
    """Output timestamp (ms) by key, once ``count`` keys are there."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    found: dict[bytes, int] = {}
    try:
        partitions = [
            TopicPartition(name, p) for name in names for p in await partitions_of(bootstrap, name)
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        deadline = time.monotonic() + timeout_s
        while len(found) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(found)} of {count} outputs after {timeout_s}s")
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                for record in batch:
                    found.setdefault(record.key, record.timestamp)
    finally:
        await consumer.stop()
    return found


async def produce_inputs(
    bootstrap: str, topic: str, values: list[tuple[bytes, bytes]]
) -> dict[bytes, int]:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=5
    )
    await producer.start()
    sent: dict[bytes, int] = {}
    try:
        for start in range(0, len(values), 2000):
            pending = []
            for key, value in values[start : start + 2000]:
                sent[key] = int(time.time() * 1000)
                pending.append(
                    await producer.send(topic, key=key, value=value, timestamp_ms=sent[key])
                )
            await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return sent


async def run_contender(
    name: str, bootstrap: str, records: list[tuple[bytes, bytes]], python: list[str]
) -> Result:
    prefix = f"bench-{uuid.uuid4().hex[:8]}."
    specs = load_specs(TOPICS_FILE)
    await ensure_topics(bootstrap, specs, prefix=prefix)
    outputs = [prefix + topics.LEADS_SCORED, prefix + topics.LEADS_REJECTED]
    await publish_campaign(bootstrap, prefix)
    port = 39500 + random.randrange(400)
    env = {
        **os.environ,
        "SCORER_KAFKA__BOOTSTRAP_SERVERS": bootstrap,
        "SCORER_KAFKA__TOPIC_PREFIX": prefix,
        "SCORER_KAFKA__GROUP_ID": f"{prefix}scorer",
        "SCORER_HTTP__PORT": str(port),
        "SCORER_LOG__LEVEL": "WARNING",
    }
    command = [*python, "--prefix", prefix, "--bootstrap", bootstrap]
    log = LOGS[name].open("wb")
    process = await asyncio.create_subprocess_exec(
        *(command if name == "passthrough" else python),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        warm_key = b"warm-up"
        await produce_inputs(bootstrap, prefix + topics.LEADS_RECEIVED, [(warm_key, records[0][1])])
        await read_outputs(bootstrap, outputs, 1, timeout_s=90)
        cpu_before = cpu_seconds(process.pid)
        sent = await produce_inputs(bootstrap, prefix + topics.LEADS_RECEIVED, records)
        received = await read_outputs(bootstrap, outputs, len(records) + 1, timeout_s=300)
        rss = peak_rss_mb(process.pid)
        cpu = cpu_seconds(process.pid) - cpu_before
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)
        log.close()
        await delete_topics(bootstrap, [prefix + spec.name for spec in specs])
    received.pop(warm_key)
    latencies = [received[key] - sent[key] for key in sent]
    seconds = (max(received.values()) - min(sent.values())) / 1000
    return Result(name, len(records), seconds, [float(x) for x in latencies], rss, cpu)


async def publish_campaign(bootstrap: str, prefix: str) -> None:
    event = CampaignConfigured(
        data=CampaignConfiguredData(
            campaign=Campaign(campaign_id=CAMPAIGN_ID, name="Bench", version=1, kind="webinar")
        ),
        occurred_at=datetime.now(UTC),
        source="bench",
        correlation_id="bench-campaign",
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            prefix + topics.CAMPAIGNS_CONFIG,
            key=CAMPAIGN_ID.encode(),
            value=encode(event),
            headers=headers(event),
        )
    finally:
        await producer.stop()


async def bench(bootstrap: str, count: int, *, rounds: int, profile: bool) -> None:
    now = datetime.now(UTC)
    records = [(f"k-{n}".encode(), encode(sample_lead(n, now))) for n in range(count)]
    size = sum(len(v) for _, v in records) / count
    print(f"{count} LeadReceived records, {size:.0f} bytes each on average, broker {bootstrap}")
    me = [sys.executable, str(THIS_FILE), "--passthrough-worker"]
    # --profile: the scorer under pyinstrument (uv run --with pyinstrument ...); the
    # report goes to var/scorer-profile.txt. Its figures are then not comparable.
    profiler = ["-m", "pyinstrument", "-o", str(ROOT / "var" / "scorer-profile.txt")]
    scorer_command = [sys.executable, *(profiler if profile else []), "-m", "leadrouter_scorer"]
    # Alternate the contenders and keep each one's best round: a shared machine's
    # load then weighs on both alike rather than on whichever ran at a busy moment.
    baselines: list[Result] = []
    scorers: list[Result] = []
    for round_number in range(1, rounds + 1):
        baselines.append(await run_contender("passthrough", bootstrap, records, me))
        scorers.append(await run_contender("scorer", bootstrap, records, scorer_command))
        print(f"round {round_number}:")
        print("  " + baselines[-1].line())
        print("  " + scorers[-1].line())
    baseline = max(baselines, key=lambda r: r.rate)
    scorer = max(scorers, key=lambda r: r.rate)
    scorer.peak_rss_mb = max(r.peak_rss_mb for r in scorers)
    print("best rounds:")
    print("  " + baseline.line())
    print("  " + scorer.line())
    ratio = scorer.rate / baseline.rate
    print(
        f"scorer / passthrough: {ratio:.2f}x (aim >= 0.70x), scorer peak RSS "
        f"{scorer.peak_rss_mb:.0f} MB (aim < 200 MB)"
    )


def consumed(values: list[bytes], first_offset: int) -> list[ConsumerRecord[bytes, bytes]]:
    return [
        ConsumerRecord(
            topic=topics.LEADS_RECEIVED,
            partition=0,
            offset=first_offset + n,
            timestamp=0,
            timestamp_type=0,
            key=f"k-{first_offset + n}".encode(),
            value=value,
            checksum=None,
            serialized_key_size=0,
            serialized_value_size=len(value),
            headers=[],
        )
        for n, value in enumerate(values)
    ]


def in_process(count: int, *, rounds: int, profile: bool) -> None:
    """The scorer's work per lead without Kafka, against the contract round trip."""
    now = datetime.now(UTC)
    catalogue = CampaignCatalogue()
    catalogue.put(Campaign(campaign_id=CAMPAIGN_ID, name="Bench", version=1, kind="webinar"))
    judge = BatchJudge(
        catalogue=catalogue,
        default_model=DEFAULT_MODEL,
        accept_unknown_campaigns=False,
        scored_topic=topics.LEADS_SCORED,
        rejected_topic=topics.LEADS_REJECTED,
    )

    def batches(round_number: int) -> list[list[ConsumerRecord[bytes, bytes]]]:
        # New lead numbers every round: new phone numbers, new e-mail addresses.
        first = round_number * 1_000_000
        values = [encode(sample_lead(first + n, now)) for n in range(count)]
        records = consumed(values, first)
        return [records[i : i + 500] for i in range(0, count, 500)]

    def round_trip(batch: list[ConsumerRecord[bytes, bytes]]) -> None:
        for record in batch:
            assert record.value is not None
            received = decode_as(record.value, LeadReceived)
            encode(received)
            headers(received)

    def best_of(name: str, step: Callable[[list[ConsumerRecord[bytes, bytes]]], object]) -> float:
        step(batches(0)[0])  # warm-up: lazy imports, phone metadata, prepared rules
        best = float("inf")
        for round_number in range(1, rounds + 1):
            work = batches(round_number)
            started = time.perf_counter()
            for batch in work:
                step(batch)
            best = min(best, (time.perf_counter() - started) / count * 1e6)
        print(f"  {name:<40} {best:>7.1f} us per lead (best of {rounds})")
        return best

    size = sum(len(r.value or b"") for r in batches(0)[0]) / 500
    print(f"in-process, {count} LeadReceived records of ~{size:.0f} bytes, no Kafka:")
    floor = best_of("contract round trip (decode + encode)", round_trip)
    judged = best_of("scorer batch step (BatchJudge)", lambda batch: judge(batch, now))
    print(f"  scorer / round trip: {judged / floor:.1f}x the cost")
    if profile:
        import cProfile
        import pstats

        work = batches(rounds + 1)
        profiler = cProfile.Profile()
        profiler.enable()
        for batch in work:
            judge(batch, now)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


def kafka_script(command: str) -> None:
    subprocess.run(
        ["bash", str(ROOT / "deploy" / "kafka" / "kafka.sh"), command],
        env={**os.environ, "KAFKA_PORT": OWN_BROKER_PORT},
        check=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds, best kept")
    parser.add_argument("--bootstrap", help="use this broker instead of starting one")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the scorer (pyinstrument; with --in-process: cProfile)",
    )
    parser.add_argument(
        "--in-process", action="store_true", help="the scorer's own work per lead, no Kafka"
    )
    parser.add_argument("--passthrough-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--prefix", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.passthrough_worker:
        asyncio.run(passthrough_worker(args.bootstrap, args.prefix))
        return 0
    if args.in_process:
        in_process(args.records, rounds=max(args.rounds, 3), profile=args.profile)
        return 0
    (ROOT / "var").mkdir(exist_ok=True)
    if args.bootstrap:
        asyncio.run(bench(args.bootstrap, args.records, rounds=args.rounds, profile=args.profile))
        return 0
    kafka_script("start")
    try:
        asyncio.run(
            bench(
                f"127.0.0.1:{OWN_BROKER_PORT}",
                args.records,
                rounds=args.rounds,
                profile=args.profile,
            )
        )
    finally:
        kafka_script("stop")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
