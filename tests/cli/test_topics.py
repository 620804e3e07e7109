"""``leadrouter topics create``: the topic list, created once, idempotently."""

import uuid
from pathlib import Path

from leadrouter_runtime.topics import load_specs, partitions_of
from tests.cli.conftest import invoke
from tests.conftest import TOPICS_FILE


async def test_topics_create_creates_the_list_once(kafka: str) -> None:
    prefix = f"t{uuid.uuid4().hex[:12]}."
    specs = load_specs(TOPICS_FILE)

    first = await invoke("topics", "create", str(TOPICS_FILE), "-b", kafka, "--prefix", prefix)
    second = await invoke("topics", "create", str(TOPICS_FILE), "-b", kafka, "--prefix", prefix)

    assert first.code == 0, first
    assert f"{len(specs)} topics declared, {len(specs)} created" in first.stdout
    assert f"  + {prefix}leads.received" in first.stdout
    assert second.code == 0, second
    assert f"{len(specs)} topics declared, 0 created" in second.stdout
    for spec in specs:
        assert len(await partitions_of(kafka, prefix + spec.name)) == spec.partitions


async def test_a_file_that_is_no_topic_list_is_refused(tmp_path: Path, kafka: str) -> None:
    bad = tmp_path / "topics.toml"
    bad.write_text("[[topic]]\npartitions = 3\n")  # no name
    result = await invoke("topics", "create", str(bad), "-b", kafka)
    assert result.code == 2, result
    assert "is not a topic list" in result.stderr
