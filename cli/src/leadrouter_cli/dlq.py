"""Dead letters: what each says (reason, where it came from) and how it goes back.

A dead letter is the original record (key, value, headers) plus ``dlq-*`` headers
(``leadrouter_schemas.dead_letters``). Replaying re-produces the
original to its source topic; consumers deduplicate by event id, so a record
replayed twice is processed once.
"""

from dataclasses import dataclass

from leadrouter_cli.events import DLQ_HEADER_PREFIX, Headers, RawRecord
from leadrouter_schemas.dead_letters import DeadLetterHeaders
from leadrouter_schemas.topics import DLQ_SUFFIX


@dataclass(frozen=True, slots=True)
class Replay:
    """One record to put back, or why it cannot be."""

    dead_letter: RawRecord
    topic: str | None
    key: bytes | None
    value: bytes | None
    headers: Headers
    problem: str | None = None


def info(record: RawRecord) -> DeadLetterHeaders:
    return DeadLetterHeaders.read(record.headers)


def replay_of(record: RawRecord, *, to: str | None = None) -> Replay:
    """The original record of a dead letter, bound for ``to`` or its source topic."""
    source = to or info(record).source_topic
    problem = None
    if not source:
        problem = "no dlq-source-topic header: give --to TOPIC"
    elif source.endswith(DLQ_SUFFIX) or source == record.topic:
        problem = f"refusing to replay into a dead-letter topic ({source})"
    return Replay(
        dead_letter=record,
        topic=source,
        key=record.key,
        value=record.value,
        headers=[(n, v) for n, v in record.headers if not n.startswith(DLQ_HEADER_PREFIX)],
        problem=problem,
    )
