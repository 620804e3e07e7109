"""Draining a prefilled ``leads.received`` topic: the raw aiokafka passthrough (the
limit for Python here), FastStream per-message and batch handlers doing the scorer's
scoring, and the scorer's own consumer.

Each contender is a subprocess against topics of its own (a fresh prefix, the settings
of deploy/kafka/topics.toml) already holding the N records, so the producer of the
input does not compete with it. Throughput is the N outputs over the span of their
timestamps (so start-up and group join do not count); CPU is the subprocess's from its
first output to its last; peak RSS its VmHWM.
"""

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from bench.figures import Figure
from bench.scorer_throughput import (
    THIS_FILE as PASSTHROUGH_SCRIPT,
)
from bench.scorer_throughput import (
    TOPICS_FILE,
    cpu_seconds,
    delete_topics,
    peak_rss_mb,
    produce_inputs,
    publish_campaign,
    sample_lead,
)
from leadrouter_runtime.topics import ensure_topics, load_specs
from leadrouter_schemas import encode, topics

CONTENDERS = {
    "raw": "raw aiokafka passthrough",
    "faststream-message": "FastStream per-message handler",
    "faststream-batch": "FastStream batch handler",
    "scorer": "scorer consumer",
}


def records(count: int) -> list[tuple[bytes, bytes]]:
    now = datetime.now(UTC)
    return [(f"k-{n}".encode(), encode(sample_lead(n, now))) for n in range(count)]


def command(name: str, bootstrap: str, prefix: str) -> list[str]:
    where = ["--prefix", prefix, "--bootstrap", bootstrap]
    if name == "raw":
        return [sys.executable, str(PASSTHROUGH_SCRIPT), "--passthrough-worker", *where]
    if name == "scorer":
        return [sys.executable, "-m", "leadrouter_scorer"]
    mode = name.removeprefix("faststream-")
    return [sys.executable, "-m", "bench.faststream_scorer", "--mode", mode, *where]


async def watch_outputs(
    bootstrap: str,
    names: list[str],
    count: int,
    process: asyncio.subprocess.Process,
    *,
    timeout_s: float,
) -> tuple[list[int], float]:
    """The outputs' timestamps once ``count`` are there, and the CPU ``process`` spent
    from the first one seen to the last."""
    # Without a group, aiokafka assigns every partition of the topics to this consumer.
    consumer = AIOKafkaConsumer(
        *names, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    stamps: list[int] = []
    cpu_at_first = 0.0
    deadline = time.monotonic() + timeout_s
    try:
        while len(stamps) < count:
            if time.monotonic() > deadline or process.returncode is not None:
                raise RuntimeError(
                    f"{len(stamps)} of {count} outputs after {timeout_s:.0f}s "
                    f"(exit status {process.returncode}); see var/bench/drain-*.log"
                )
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                if not stamps and batch:
                    cpu_at_first = cpu_seconds(process.pid)
                stamps.extend(r.timestamp for r in batch)
        return stamps, cpu_seconds(process.pid) - cpu_at_first
    finally:
        await consumer.stop()


async def drain(
    name: str, bootstrap: str, inputs: Sequence[tuple[bytes, bytes]], logs: Path
) -> Figure:
    prefix = f"bench-{uuid.uuid4().hex[:8]}."
    specs = load_specs(TOPICS_FILE)
    await ensure_topics(bootstrap, specs, prefix=prefix)
    await publish_campaign(bootstrap, prefix)
    await produce_inputs(bootstrap, prefix + topics.LEADS_RECEIVED, list(inputs))
    env = {
        **os.environ,
        "SCORER_KAFKA__BOOTSTRAP_SERVERS": bootstrap,
        "SCORER_KAFKA__TOPIC_PREFIX": prefix,
        "SCORER_KAFKA__GROUP_ID": f"{prefix}scorer",
        "SCORER_HTTP__PORT": "0",
        "SCORER_LOG__LEVEL": "WARNING",
    }
    with (logs / f"drain-{name}.log").open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            *command(name, bootstrap, prefix), env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        outputs = [prefix + topics.LEADS_SCORED, prefix + topics.LEADS_REJECTED]
        stamps, cpu = await watch_outputs(
            bootstrap, outputs, len(inputs), process, timeout_s=120 + len(inputs) / 50
        )
        rss = peak_rss_mb(process.pid)
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.wait(), 30)
        await delete_topics(bootstrap, [prefix + spec.name for spec in specs])
    span_s = max((max(stamps) - min(stamps)) / 1000, 0.001)
    return Figure(
        key=f"drain.{name}",
        label=f"drain: {CONTENDERS[name]}",
        rate=(len(stamps) - 1) / span_s if len(stamps) > 1 else len(stamps) / span_s,
        baseline=None if name == "raw" else "drain.raw",
        cpu_s_per_1000=cpu / len(inputs) * 1000,
        peak_rss_mb=rss,
    )


async def drains(bootstrap: str, count: int, logs: Path, *, round_number: int) -> list[Figure]:
    """Every contender once, in an order that rotates with the round."""
    inputs = records(count)
    names = list(CONTENDERS)
    shift = round_number % len(names)
    results = {}
    for name in names[shift:] + names[:shift]:
        results[name] = await drain(name, bootstrap, inputs, logs)
    return [results[name] for name in CONTENDERS]
