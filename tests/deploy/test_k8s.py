"""Static checks of ``deploy/k8s`` (kustomize overlays); no cluster needed.

1. Each overlay renders with kustomize (``deploy/k8s/tools.sh install`` builds it;
   without it this module skips, except under ``CI`` where it fails).
2. Every rendered resource is valid for Kubernetes (``kubernetes-validate``, strict:
   unknown fields are errors); KEDA's ScaledObject, a CRD that it has no schema for,
   against ``keda-scaledobject.schema.json`` (written from KEDA's docs).
3. What a schema does not see: probes hit routes the apps serve on the ports they
   listen on, each image runs its own package, every env var names a field of the
   service's ``Settings``, the router leaves migrations to the Job, and autoscaling
   reads the right consumer group and stops at the partition count.
"""

from __future__ import annotations

import json
import re
import subprocess
import types
import typing
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate  # type: ignore[import-untyped]  # ships no py.typed
import pytest
import yaml
from pydantic import BaseModel

from leadrouter_router.settings import Settings as RouterSettings
from leadrouter_runtime.topics import load_specs
from leadrouter_scorer.settings import Settings as ScorerSettings
from tests.support.tools import installed, tool_path

# Tier (tests/conftest.py): kustomize builds the manifests as a process.
pytestmark = pytest.mark.process

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
TOPICS_FILE = ROOT / "deploy" / "kafka" / "topics.toml"
KEDA_SCHEMA = Path(__file__).with_name("keda-scaledobject.schema.json")
KUBERNETES_VERSION = "1.37"
OVERLAYS = ["dev", "prod"]


class Service(typing.NamedTuple):
    image: str
    module: str
    env_prefix: str
    settings: type[BaseModel]
    dockerfile: Path
    topic: str


SERVICES = {
    "scorer": Service(
        "leadrouter-scorer",
        "leadrouter_scorer",
        "SCORER_",
        ScorerSettings,
        ROOT / "Dockerfile",
        "leads.received",
    ),
    "router": Service(
        "leadrouter-router",
        "leadrouter_router",
        "ROUTER_",
        RouterSettings,
        ROOT / "Dockerfile",
        "leads.scored",
    ),
}


# ----------------------------------------------------------------- rendering ---


@cache
def rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    binary = installed(
        tool_path("deploy/k8s/tools.sh", "kustomize"), "bash deploy/k8s/tools.sh install"
    )
    result = subprocess.run(
        [binary, "build", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"kustomize build {overlay} failed:\n{result.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def of_kind(docs: tuple[dict[str, Any], ...], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod_specs(docs: tuple[dict[str, Any], ...]) -> Iterator[tuple[str, dict[str, Any]]]:
    for doc in docs:
        if doc["kind"] in {"Deployment", "Job"}:
            yield f"{doc['kind']}/{doc['metadata']['name']}", doc["spec"]["template"]["spec"]


def service_of(container: dict[str, Any]) -> Service:
    repository = container["image"].rsplit(":", 1)[0].rsplit("/", 1)[-1]
    (service,) = [s for name, s in SERVICES.items() if repository in {s.image, name}]
    return service


def environment(docs: tuple[dict[str, Any], ...], container: dict[str, Any]) -> dict[str, str]:
    """The container's variables, from its ConfigMaps and Secrets (those rendered)."""
    config_maps, secrets = of_kind(docs, "ConfigMap"), of_kind(docs, "Secret")
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(config_maps[source["configMapRef"]["name"]]["data"])
        elif source["secretRef"]["name"] in secrets:
            env.update(dict.fromkeys(secrets[source["secretRef"]["name"]]["data"], "<secret>"))
    env.update({item["name"]: item.get("value", "") for item in container.get("env", [])})
    return env


def settings_field(model: type[BaseModel], path: list[str]) -> bool:
    """Whether ``path`` (an env var's ``__`` groups, lower case) names a leaf field."""
    head, *rest = path
    for name, field in model.model_fields.items():
        if head not in {name, field.alias, field.validation_alias}:
            continue
        # A group is a model, or an optional one; a list or dict of models is one value
        # (set as JSON), like any other leaf.
        union = typing.get_origin(field.annotation) in {typing.Union, types.UnionType}
        options = typing.get_args(field.annotation) if union else (field.annotation,)
        nested = [t for t in options if isinstance(t, type) and issubclass(t, BaseModel)]
        if not rest:
            return not nested
        return bool(nested) and settings_field(nested[0], rest)
    return False


# --------------------------------------------------------------------- tests ---


def test_the_topics_config_map_is_a_copy_of_the_topic_list() -> None:
    assert (K8S / "base" / "topics.toml").read_bytes() == TOPICS_FILE.read_bytes(), (
        "copy deploy/kafka/topics.toml to deploy/k8s/base/topics.toml"
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_resource_is_valid_for_kubernetes(overlay: str) -> None:
    schema = json.loads(KEDA_SCHEMA.read_text())
    for doc in rendered(overlay):
        if doc["apiVersion"].startswith("keda.sh/"):
            jsonschema.validate(doc, schema)
        else:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_system_is_all_there(overlay: str) -> None:
    docs = rendered(overlay)
    assert set(of_kind(docs, "Deployment")) == {"scorer", "router"}
    assert set(of_kind(docs, "Job")) == {"router-migrate", "kafka-topics"}
    services = of_kind(docs, "Service")
    assert {name: s["spec"]["ports"][0]["port"] for name, s in services.items()} == {
        "scorer": 8001,
        "router": 8002,
    }
    assert len({d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"}) == 1


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes_hit_the_health_routes_on_the_port_the_app_listens_on(overlay: str) -> None:
    docs = rendered(overlay)
    for name, deployment in of_kind(docs, "Deployment").items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        service = SERVICES[name]
        env = environment(docs, container)
        port = int(env[f"{service.env_prefix}HTTP__PORT"])
        assert env[f"{service.env_prefix}HTTP__HOST"] == "0.0.0.0"
        assert [p["containerPort"] for p in container["ports"]] == [port]
        (service_doc,) = [
            s for s in of_kind(docs, "Service").values() if s["metadata"]["name"] == name
        ]
        assert service_doc["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            assert container[probe]["httpGet"]["port"] in {"http", port}
        # The routes exist in the app (built, not started: no lifespan runs).
        app = __import__(f"{service.module}.app", fromlist=["create_app"]).create_app(
            service.settings()
        )
        assert {"/healthz", "/readyz"} <= set(app.openapi()["paths"])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_image_runs_its_own_package_as_its_non_root_user(overlay: str) -> None:
    for where, spec in pod_specs(rendered(overlay)):
        (container,) = spec["containers"]
        service = service_of(container)
        command = container["command"]
        assert command[:2] == ["python", "-m"], where
        module = command[2]
        assert module in {service.module, "leadrouter_runtime.topics"}, where
        dockerfile = service.dockerfile.read_text()
        (uid,) = re.findall(r"^USER (\d+)", dockerfile, flags=re.MULTILINE)
        assert spec["securityContext"]["runAsNonRoot"] is True, where
        assert str(spec["securityContext"]["runAsUser"]) == uid, where
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, where
        resources = container["resources"]
        assert resources["requests"]["memory"], where
        assert resources["limits"]["memory"], where


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_variable_names_a_settings_field(overlay: str) -> None:
    docs = rendered(overlay)
    for where, spec in pod_specs(docs):
        (container,) = spec["containers"]
        service = service_of(container)
        env = environment(docs, container)
        assert env, where
        for name in env:
            assert name.startswith(service.env_prefix), f"{where}: {name}"
            path = name.removeprefix(service.env_prefix).lower().split("__")
            assert settings_field(service.settings, path), f"{where}: {name} is no setting"


def test_the_checker_of_variable_names_rejects_unknown_ones() -> None:
    assert settings_field(RouterSettings, ["db", "url"])
    assert settings_field(ScorerSettings, ["log", "json"])  # an alias
    assert not settings_field(RouterSettings, ["db"])  # a group, not a value
    assert not settings_field(RouterSettings, ["db", "uri"])
    assert not settings_field(ScorerSettings, ["kafka", "bootstrap_server"])
    assert settings_field(RouterSettings, ["crm", "token"])  # SecretStr | None: a value
    assert settings_field(RouterSettings, ["auth", "api_keys"])  # a list of models: JSON


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_come_from_a_secret_and_the_job_migrates_not_the_router(overlay: str) -> None:
    docs = rendered(overlay)
    router = of_kind(docs, "Deployment")["router"]["spec"]["template"]["spec"]["containers"][0]
    env = environment(docs, router)
    assert env["ROUTER_DB__MIGRATE_ON_START"] == "false"
    config_maps = [
        m for m in of_kind(docs, "ConfigMap").values() if "ROUTER_HTTP__PORT" in m["data"]
    ]
    assert all("ROUTER_DB__URL" not in m["data"] for m in config_maps)
    assert all("ROUTER_CRM__TOKEN" not in m["data"] for m in config_maps)
    assert any("secretRef" in source for source in router["envFrom"])
    job = of_kind(docs, "Job")["router-migrate"]["spec"]["template"]["spec"]["containers"][0]
    assert job["command"] == ["python", "-m", "leadrouter_router", "migrate"]
    assert job["envFrom"] == router["envFrom"]
    assert job["image"] == router["image"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_topic_job_provisions_the_topic_list(overlay: str) -> None:
    docs = rendered(overlay)
    spec = of_kind(docs, "Job")["kafka-topics"]["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert container["command"][:3] == ["python", "-m", "leadrouter_runtime.topics"]
    file = Path(container["command"][-1])
    (mount,) = [m for m in container["volumeMounts"] if str(file).startswith(m["mountPath"])]
    (volume,) = [v for v in spec["volumes"] if v["name"] == mount["name"]]
    config_map = of_kind(docs, "ConfigMap")[volume["configMap"]["name"]]
    assert config_map["data"][file.name] == TOPICS_FILE.read_text()
    bootstrap = container["command"][container["command"].index("--bootstrap-servers") + 1]
    assert bootstrap == "$(SCORER_KAFKA__BOOTSTRAP_SERVERS)"
    assert "SCORER_KAFKA__BOOTSTRAP_SERVERS" in environment(docs, container)


def test_production_scales_on_consumer_lag_up_to_the_partition_count() -> None:
    docs = rendered("prod")
    partitions = {spec.name: spec.partitions for spec in load_specs(TOPICS_FILE)}
    scaled = of_kind(docs, "ScaledObject")
    assert set(scaled) == set(SERVICES)
    for name, scaled_object in scaled.items():
        spec = scaled_object["spec"]
        service = SERVICES[name]
        deployment = of_kind(docs, "Deployment")[spec["scaleTargetRef"]["name"]]
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert service_of(container) == service
        # KEDA's HPA owns the count: a fixed one would reset it on every apply.
        assert "replicas" not in deployment["spec"]
        env = environment(docs, container)
        (trigger,) = spec["triggers"]
        assert trigger["type"] == "kafka"
        metadata = trigger["metadata"]
        assert metadata["consumerGroup"] == env[f"{service.env_prefix}KAFKA__GROUP_ID"]
        assert metadata["bootstrapServers"] == env[f"{service.env_prefix}KAFKA__BOOTSTRAP_SERVERS"]
        assert metadata["topic"] == service.topic
        assert metadata["allowIdleConsumers"] == "false"
        # More consumers than partitions sit idle.
        assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
        assert spec["maxReplicaCount"] <= partitions[service.topic]


def test_the_settings_default_group_ids_are_the_ones_scaled_on() -> None:
    # A service left at its default group must still match its ScaledObject.
    assert ScorerSettings().kafka.group_id == "scorer"
    assert RouterSettings().kafka.group_id == "router"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_ops_page_watches_the_scorers_own_group(overlay: str) -> None:
    docs = rendered(overlay)
    containers = [
        d["spec"]["template"]["spec"]["containers"][0] for d in of_kind(docs, "Deployment").values()
    ]
    envs = {service_of(c).env_prefix: environment(docs, c) for c in containers}
    scorer_group = envs["SCORER_"]["SCORER_KAFKA__GROUP_ID"]
    assert envs["ROUTER_"]["ROUTER_OPS__SCORER_GROUP_ID"] == scorer_group
    assert RouterSettings().ops.scorer_group_id == ScorerSettings().kafka.group_id


def test_development_has_no_autoscaler_and_a_secret_of_its_own() -> None:
    docs = rendered("dev")
    assert not of_kind(docs, "ScaledObject")
    (secret,) = of_kind(docs, "Secret").values()
    assert set(secret["data"]) == {"ROUTER_DB__URL", "ROUTER_CRM__TOKEN", "ROUTER_AUTH__API_KEYS"}
    # Secrets never sit in a ConfigMap.
    for config_map in of_kind(docs, "ConfigMap").values():
        assert not set(config_map["data"]) & set(secret["data"])
