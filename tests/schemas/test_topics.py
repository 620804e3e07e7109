"""The topic declaration and what is made from it: the topic list, the README's
table and the AsyncAPI document are the generated ones, and the AsyncAPI project's
own parser accepts the document (``deploy/asyncapi/tools.sh install`` installs it;
without it the parser test skips, except under ``CI`` where it fails)."""

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from leadrouter_runtime.topics import declared_specs, load_specs
from leadrouter_schemas import EVENT_TYPES, header_values
from leadrouter_schemas.generate import ROOT, outputs
from leadrouter_schemas.topics import EVENT_HEADERS, TOPICS, dead_letter, declared
from tests.support.samples import one_of_each

TOOLS = ROOT / "deploy" / "asyncapi" / "tools.sh"
ASYNCAPI = ROOT / "schemas" / "asyncapi.yaml"


@pytest.mark.parametrize("path", sorted(outputs()), ids=str)
def test_the_committed_file_is_the_generated_one(path: Path) -> None:
    committed = (ROOT / path).read_text() if (ROOT / path).exists() else None
    assert committed == outputs()[path], f"{path} is stale: run `make schemas`"


def test_every_event_type_is_carried_by_exactly_one_pipeline_topic() -> None:
    carried = [e for t in TOPICS if not t.dead_letter_of for e in t.events]
    assert sorted(carried, key=str) == sorted(EVENT_TYPES, key=str)


def test_the_topic_list_creates_exactly_the_declared_topics_with_their_settings() -> None:
    specs = {s.name: s for s in load_specs(ROOT / "deploy" / "kafka" / "topics.toml")}
    assert list(specs) == [t.name for t in TOPICS]
    campaigns = specs["config.campaigns"]
    assert campaigns.config["cleanup.policy"] == "compact"
    assert campaigns.config["retention.ms"] == "-1"
    assert campaigns.partitions == 1
    assert specs["leads.scored.dlq"].config["retention.ms"] == str(30 * 86_400_000)


def test_a_dead_letter_topic_is_declared_for_each_consumed_pipeline_topic() -> None:
    for name in ("leads.received", "leads.scored", "leads.rejected"):
        letters = declared(dead_letter(name))
        assert letters.dead_letter_of == name
        assert {h.name for h in letters.headers} >= {"dlq-error-type", "dlq-error-location"}
    # No service of ours consumes leads.outcomes (decision 0609): nothing dead-letters it.
    with pytest.raises(KeyError, match="no topic"):
        declared(dead_letter("leads.outcomes"))


def test_a_prefixed_name_finds_its_declaration() -> None:
    assert declared("t123.leads.scored", prefix="t123.").name == "leads.scored"
    with pytest.raises(KeyError, match="no topic"):
        declared("leads.teleported")


@pytest.mark.parametrize("event", one_of_each(), ids=lambda e: e.type)
def test_the_header_builder_gives_every_declared_header_in_its_declared_form(
    event: object,
) -> None:
    values = header_values(event)  # type: ignore[arg-type]
    assert list(values) == [h.name for h in EVENT_HEADERS]
    for header in EVENT_HEADERS:
        assert header.pattern is not None
        assert re.fullmatch(header.pattern, values[header.name]), header.name


def test_every_asyncapi_payload_is_a_committed_json_schema() -> None:
    document = yaml.safe_load(ASYNCAPI.read_text())
    assert document["asyncapi"] == "3.0.0"
    messages = document["components"]["messages"].values()
    # Raw webhook deliveries (webhooks.raw and its quarantine) are bytes, not events.
    payloads = {m["payload"]["$ref"] for m in messages if "$ref" in m["payload"]}
    raw = [m for m in messages if "$ref" not in m["payload"]]
    assert {m["name"] for m in raw} == {t.raw.name for t in TOPICS if t.raw}
    assert {(ASYNCAPI.parent / ref).resolve().is_file() for ref in payloads} == {True}
    assert {Path(ref).name for ref in payloads} == {
        p.name for p in (ROOT / "schemas" / "json").glob("*.json")
    }
    assert [c["address"] for c in document["channels"].values()] == [t.name for t in TOPICS]


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["bash", str(TOOLS), "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if result.returncode == 3:
        message = (
            "the AsyncAPI parser is not installed: run `bash deploy/asyncapi/tools.sh install`"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return result


@pytest.mark.process
def test_the_asyncapi_parser_accepts_the_document() -> None:
    result = _validate(ASYNCAPI)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid AsyncAPI 3.0.0" in result.stdout


@pytest.mark.process
def test_the_asyncapi_parser_refuses_a_broken_reference(tmp_path: Path) -> None:
    # The check has teeth: a payload that points nowhere is an error.
    (tmp_path / "json").symlink_to(ROOT / "schemas" / "json")
    broken = tmp_path / "asyncapi.yaml"
    broken.write_text(ASYNCAPI.read_text().replace("lead.scored.v1.json", "lead.gone.v1.json"))
    result = _validate(broken)
    assert result.returncode == 1
    assert "invalid-ref" in result.stdout


def test_the_topics_command_creates_the_same_topics_with_or_without_the_file() -> None:
    # `python -m leadrouter_runtime.topics [FILE]`: the file is the declaration, written out.
    assert declared_specs() == load_specs(ROOT / "deploy" / "kafka" / "topics.toml")
