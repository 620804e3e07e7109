"""Help for every command, and bad arguments refused with a message and an exit code."""

import pytest

from leadrouter_cli.errors import ExitCode
from tests.cli.conftest import invoke

COMMANDS = [
    [],
    ["scorer"],
    ["router"],
    ["crm-simulator"],
    ["migrate"],
    ["topics"],
    ["topics", "create"],
    ["tail"],
    ["dlq"],
    ["dlq", "inspect"],
    ["dlq", "replay"],
    ["demo"],
    ["demo", "history"],
    ["config"],
    ["config", "export"],
    ["config", "import"],
    ["simulate"],
    ["report"],
    ["report", "leakage"],
    ["replay"],
]


async def test_every_command_has_help() -> None:
    for command in COMMANDS:
        result = await invoke(*command, "--help")
        assert result.code == 0, (command, result.stderr)
        assert "Usage: leadrouter" in result.stdout, command
    top = await invoke("--help")
    for name in ("scorer", "router", "crm-simulator", "migrate", "topics", "tail", "dlq"):
        assert name in top.stdout
    for name in ("demo", "config", "simulate"):
        assert name in top.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["demo", "--rate", "0"], ExitCode.USAGE, "--rate"),
        (["demo", "--count", "many"], ExitCode.USAGE, "--count"),
        (["no-such-command"], ExitCode.USAGE, "No such command"),
        (["dlq", "inspect", "leads.received"], ExitCode.USAGE, "not a dead-letter topic"),
        (["dlq", "replay", "leads.scored"], ExitCode.USAGE, "not a dead-letter topic"),
        (["simulate", "no/such/leads.csv"], ExitCode.USAGE, "no such file"),
        (["config", "import", "no/such/config.yaml"], ExitCode.USAGE, "no such file"),
        (["topics", "create", "no/such/topics.toml"], ExitCode.USAGE, "no topic list"),
        (["tail", "--max", "0", "leads.received"], ExitCode.USAGE, "--max"),
        (["report", "leakage", "--since", "90 days"], ExitCode.USAGE, "--since"),
        (["report", "leakage", "--by", "mood"], ExitCode.USAGE, "no cause mood"),
    ],
)
async def test_bad_arguments_exit_non_zero_with_a_message(
    args: list[str], code: ExitCode, message: str
) -> None:
    result = await invoke(*args)
    assert result.code == code, result
    assert message in result.stderr
    assert "Traceback" not in result.stderr


async def test_an_unreachable_broker_is_said_so() -> None:
    # Port 1 on loopback: nothing listens there, the connection is refused at once.
    result = await invoke("tail", "leads.received", "--bootstrap-servers", "127.0.0.1:1")
    assert result.code == ExitCode.UNREACHABLE, result
    assert "cannot reach Kafka at 127.0.0.1:1" in result.stderr
    assert "Traceback" not in result.stderr


async def test_an_unknown_topic_is_said_so(kafka: str) -> None:
    result = await invoke("tail", "no.such.topic.anywhere", "--bootstrap-servers", kafka)
    assert result.code == ExitCode.NOT_FOUND, result
    assert "topic 'no.such.topic.anywhere' does not exist" in result.stderr


async def test_an_unreachable_router_or_scorer_is_said_so() -> None:
    exported = await invoke("config", "export", "-", "--router-url", "http://127.0.0.1:1")
    assert exported.code == ExitCode.UNREACHABLE, exported
    assert "cannot reach the router at http://127.0.0.1:1" in exported.stderr
    demo = await invoke(
        "demo", "--count", "2", "--rate", "100", "--scorer-url", "http://127.0.0.1:1"
    )
    assert demo.code == ExitCode.UNREACHABLE, demo
    assert "cannot reach http://127.0.0.1:1/v1/webhooks/generic" in demo.stderr
