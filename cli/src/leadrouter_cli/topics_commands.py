"""``leadrouter topics create``, ``leadrouter tail`` and ``leadrouter dlq inspect|replay``."""

import json
import tomllib
from pathlib import Path
from typing import Annotated

import typer
from aiokafka.errors import KafkaError

from leadrouter_cli import dlq as dead_letters
from leadrouter_cli.common import DEFAULT_BOOTSTRAP, BootstrapServers, run, usage
from leadrouter_cli.errors import CliError, ExitCode
from leadrouter_cli.events import describe, text
from leadrouter_cli.kafka import producer, read
from leadrouter_runtime.topics import ensure_topics, load_specs

topics_app = typer.Typer(help="Kafka topics of the system.", no_args_is_help=True)
dlq_app = typer.Typer(help="Dead-letter topics (*.dlq): inspect and replay.", no_args_is_help=True)

JsonOutput = Annotated[bool, typer.Option("--json", help="One JSON object a line.")]
DeadLetterTopic = Annotated[str, typer.Argument(help="Dead-letter topic, e.g. leads.received.dlq.")]


@topics_app.command("create")
def create_topics(
    file: Annotated[Path, typer.Argument(help="Topic list (TOML).", show_default=True)] = Path(
        "deploy/kafka/topics.toml"
    ),
    bootstrap_servers: BootstrapServers = DEFAULT_BOOTSTRAP,
    prefix: Annotated[str, typer.Option(help="Put in front of every topic name.")] = "",
) -> None:
    """Create the topics of FILE that do not exist yet (idempotent)."""
    if not file.is_file():
        raise usage(f"no topic list at {file}")
    try:
        specs = load_specs(file)
    except (tomllib.TOMLDecodeError, KeyError, ValueError) as error:
        raise usage(f"{file} is not a topic list: {error}") from error

    async def create() -> list[str]:
        try:
            return await ensure_topics(bootstrap_servers, specs, prefix=prefix)
        except KafkaError as error:
            raise CliError(
                f"cannot create topics on {bootstrap_servers}: {error}", ExitCode.UNREACHABLE
            ) from error

    created = run(create())
    typer.echo(f"{len(specs)} topics declared, {len(created)} created")
    for name in created:
        typer.echo(f"  + {name}")


def tail(
    topic: Annotated[str, typer.Argument(help="Topic name, with its prefix if any.")],
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="Start at the oldest record, not the end.")
    ] = False,
    max_records: Annotated[
        int | None, typer.Option("--max", min=1, help="Stop after this many records.")
    ] = None,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow/--no-follow", help="Wait for new records, or stop at the end of the log."
        ),
    ] = True,
    bootstrap_servers: BootstrapServers = DEFAULT_BOOTSTRAP,
    as_json: JsonOutput = False,
) -> None:
    """Print the records of TOPIC as readable events (type, key, correlation id, summary)."""

    async def print_records() -> None:
        async for record in read(
            bootstrap_servers,
            topic,
            from_beginning=from_beginning,
            follow=follow,
            limit=max_records,
        ):
            described = describe(record)
            if as_json:
                typer.echo(json.dumps(described.as_json(), ensure_ascii=False))
            else:
                typer.echo(described.line())

    run(print_records())


def _dlq_topic(topic: str) -> str:
    if not topic.endswith(".dlq"):
        raise usage(f"{topic!r} is not a dead-letter topic (its name ends in .dlq)")
    return topic


@dlq_app.command("inspect")
def inspect(
    topic: DeadLetterTopic,
    bootstrap_servers: BootstrapServers = DEFAULT_BOOTSTRAP,
    as_json: JsonOutput = False,
    max_value: Annotated[
        int, typer.Option(help="Show at most this many characters of each value (0: all).")
    ] = 500,
) -> None:
    """Show each dead letter: why it failed, where it came from, and its value."""
    _dlq_topic(topic)

    async def show() -> int:
        count = 0
        async for record in read(bootstrap_servers, topic, from_beginning=True, follow=False):
            count += 1
            letter = dead_letters.info(record)
            described = describe(record)
            if as_json:
                typer.echo(
                    json.dumps(
                        {
                            **described.as_json(),
                            "reason": letter.reason,
                            "error_type": letter.error_type,
                            "error_location": letter.error_location,
                            "source": {
                                "topic": letter.source_topic,
                                "partition": letter.source_partition,
                                "offset": letter.source_offset,
                            },
                            "value": text(record.value),
                        },
                        ensure_ascii=False,
                    )
                )
                continue
            value = text(record.value)
            if max_value and len(value) > max_value:
                value = f"{value[:max_value]}... ({len(value)} characters)"
            typer.echo(f"{record.topic}[{record.partition}]@{record.offset} key={text(record.key)}")
            typer.echo(f"  reason:  {letter.reason or '-'}")
            typer.echo(f"  error:   {letter.error_type or '-'} at {letter.error_location or '-'}")
            typer.echo(
                f"  source:  {letter.source_topic or '-'}[{letter.source_partition or '-'}]"
                f"@{letter.source_offset or '-'}"
            )
            typer.echo(f"  event:   {described.event_type} corr={described.correlation_id or '-'}")
            typer.echo(f"  value:   {value}")
        return count

    count = run(show())
    if not as_json:
        typer.echo(f"{count} dead letters on {topic}")


@dlq_app.command("replay")
def replay(
    topic: DeadLetterTopic,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be replayed; write nothing.")
    ] = False,
    to: Annotated[
        str | None, typer.Option("--to", help="Replay to this topic instead of each source.")
    ] = None,
    from_offset: Annotated[
        int, typer.Option(min=0, help="Skip dead letters below this offset (already replayed).")
    ] = 0,
    bootstrap_servers: BootstrapServers = DEFAULT_BOOTSTRAP,
) -> None:
    """Put each dead letter's original record back on its source topic.

    Key, value and headers as they were (without the dlq-* headers), in order.
    Consumers deduplicate by event id, so a record replayed twice counts once.
    """
    _dlq_topic(topic)

    async def plan() -> list[dead_letters.Replay]:
        return [
            dead_letters.replay_of(record, to=to)
            async for record in read(bootstrap_servers, topic, from_beginning=True, follow=False)
            if record.offset >= from_offset
        ]

    replays = run(plan())
    refused = [r for r in replays if r.problem]
    for item in replays:
        letter = item.dead_letter
        where = f"{letter.topic}[{letter.partition}]@{letter.offset}"
        if item.problem:
            typer.echo(f"skip   {where}: {item.problem}", err=True)
        else:
            verb = "would replay" if dry_run else "replay"
            typer.echo(f"{verb} {where} -> {item.topic} key={text(item.key)}")
    ready = [r for r in replays if not r.problem]
    if not dry_run and ready:

        async def send() -> None:
            async with producer(bootstrap_servers) as client:
                try:
                    # Sent in order and awaited together: per key, order holds (idempotent
                    # producer, https://kafka.apache.org/documentation/#producerconfigs_enable.idempotence).
                    pending = [
                        await client.send(r.topic, key=r.key, value=r.value, headers=r.headers)
                        for r in ready
                        if r.topic
                    ]
                    for future in pending:
                        await future
                except KafkaError as error:
                    raise CliError(f"replay failed: {error}") from error

        run(send())
    done = "would be replayed" if dry_run else "replayed"
    typer.echo(f"{len(ready)} {done}, {len(refused)} skipped")
    if refused:
        raise typer.Exit(int(ExitCode.FAILED))
