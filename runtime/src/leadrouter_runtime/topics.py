"""Topics from a declarative list (``deploy/kafka/topics.toml``, generated from
``leadrouter_schemas.topics``), created idempotently.

``python -m leadrouter_runtime.topics --bootstrap-servers HOST:PORT [--prefix P] [FILE]``
(without FILE: the declaration itself)
"""

import argparse
import asyncio
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from leadrouter_runtime.retries import paced
from leadrouter_schemas.topics import TOPICS

# Kafka's protocol error codes (https://kafka.apache.org/protocol#protocol_error_codes).
_UNKNOWN_TOPIC_OR_PARTITION = 3
_TOPIC_ALREADY_EXISTS = 36


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int = 1
    config: dict[str, str] = field(default_factory=dict)


def load_specs(path: Path) -> list[TopicSpec]:
    document = tomllib.loads(path.read_text())
    defaults = document.get("defaults", {})
    specs = []
    for entry in document["topic"]:
        config = {**defaults.get("config", {}), **entry.get("config", {})}
        specs.append(
            TopicSpec(
                name=entry["name"],
                partitions=int(entry.get("partitions", defaults.get("partitions", 1))),
                replication_factor=int(
                    entry.get("replication_factor", defaults.get("replication_factor", 1))
                ),
                config={key: str(value) for key, value in config.items()},
            )
        )
    return specs


def declared_specs() -> list[TopicSpec]:
    """The topics as ``leadrouter_schemas.topics`` declares them."""
    return [TopicSpec(t.name, t.partitions, config=t.config) for t in TOPICS]


async def ensure_topics(
    bootstrap_servers: str, specs: Sequence[TopicSpec], *, prefix: str = "", timeout_s: float = 30
) -> list[str]:
    """Create the topics that do not exist yet and wait until every partition has a
    leader (a topic is usable only then); return the names created."""
    names = [f"{prefix}{spec.name}" for spec in specs]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        response = await admin.create_topics(
            [
                NewTopic(
                    name=f"{prefix}{spec.name}",
                    num_partitions=spec.partitions,
                    replication_factor=spec.replication_factor,
                    topic_configs=spec.config,
                )
                for spec in specs
            ]
        )
        created = []
        for topic, code, *message in response.topic_errors:
            if code == 0:
                created.append(topic)
            elif code != _TOPIC_ALREADY_EXISTS:
                raise RuntimeError(f"creating topic {topic} failed: error {code} {message}")
        await _wait_for_leaders(admin, names, timeout_s=timeout_s)
    finally:
        await admin.close()
    return created


async def delete_topics(bootstrap_servers: str, names: Sequence[str]) -> None:
    """Delete the topics ``names`` (what tests and benchmarks created: a shared broker
    slows down with thousands of partitions left behind)."""
    if not names:
        return
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        await admin.delete_topics(list(names))
    finally:
        await admin.close()


class UnknownTopicError(RuntimeError):
    """The topic does not exist (or has no partition yet)."""


async def partitions_of(bootstrap_servers: str, topic: str, **client: Any) -> list[int]:
    """The numbers of ``topic``'s partitions, in order, asked of an admin client
    (``client``: its further options, such as ``client_id``). ``UnknownTopicError``
    where the topic does not exist; ``RuntimeError`` for any other error the broker
    answers."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **client)
    await admin.start()
    try:
        (description,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    code = description["error_code"]
    if code == _UNKNOWN_TOPIC_OR_PARTITION or (code == 0 and not description["partitions"]):
        raise UnknownTopicError(f"topic {topic} does not exist; provision the topics first")
    if code != 0:
        raise RuntimeError(f"cannot describe topic {topic}: error {code}")
    return sorted(p["partition"] for p in description["partitions"])


class NoLeaderError(TimeoutError):
    """Topics whose partitions have no leader yet (the last one is raised at the deadline)."""


async def _wait_for_leaders(
    admin: AIOKafkaAdminClient, names: list[str], *, timeout_s: float
) -> None:
    async for attempt in paced(NoLeaderError, attempts=None, pause_s=0.1, timeout_s=timeout_s):
        with attempt:
            descriptions = await admin.describe_topics(names)
            waiting = [
                d["topic"]
                for d in descriptions
                if d["error_code"] != 0
                or not d["partitions"]
                or any(p["leader"] < 0 for p in d["partitions"])
            ]
            if waiting:
                raise NoLeaderError(f"topics without a leader after {timeout_s}s: {waiting}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", type=Path, nargs="?", help="a topic list (TOML)")
    parser.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    parser.add_argument("--prefix", default="")
    args = parser.parse_args(argv)
    specs = load_specs(args.file) if args.file else declared_specs()
    created = asyncio.run(ensure_topics(args.bootstrap_servers, specs, prefix=args.prefix))
    print(f"{len(specs)} topics declared, {len(created)} created: {', '.join(created) or '-'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
