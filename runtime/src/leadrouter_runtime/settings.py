"""Setting groups that every service nests in its own ``Settings``, and the base of
those ``Settings``."""

from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSettings(BaseModel):
    bootstrap_servers: str = "127.0.0.1:9092"
    client_id: str = "leadrouter"
    group_id: str = Field(default="", description="Consumer group; empty means the service name.")
    group_instance_id: str = Field(
        default="",
        description="Static group membership (KIP-345): this replica's stable name in its "
        "consumer groups (a StatefulSet pod's name). A restarted replica with the same name "
        "gets its partitions back at once, without a rebalance; empty means dynamic "
        "membership. Two live replicas must never share one.",
    )
    session_timeout_ms: int = Field(
        default=10_000,
        ge=1000,
        description="How long the group waits for a silent member before giving its "
        "partitions to others (the broker bounds it: group.min/max.session.timeout.ms).",
    )
    topic_prefix: str = Field(
        default="", description="Put in front of every topic name (isolates tenants and tests)."
    )
    max_batch: int = Field(default=500, ge=1, description="Records per poll at most.")
    poll_timeout_ms: int = Field(default=200, ge=1)  # a record ends a poll at once
    fetch_max_wait_ms: int = Field(
        default=500,
        ge=0,
        le=10_000,
        description="How long the broker holds a fetch that finds no record (a record "
        "answers it at once): an idle consumer sends an empty fetch this often. Longer "
        "costs less CPU when idle; a consumer that seeks back after a failed batch waits "
        "for its pending fetch first.",
    )
    batch_linger_ms: int = Field(
        default=0,
        ge=0,
        description="When a poll brings more than one record (they arrive faster than "
        "they are handled), wait up to this long for more before handling the batch: "
        "fewer, larger transactions under load. A lone record is never held. 0: off.",
    )
    request_timeout_ms: int = Field(default=15_000, ge=1000)

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"


class HttpSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Larger request bodies are refused (413)."
    )
    # uvloop and httptools: measured faster for the webhook intake (decision 0205); the
    # pure-Python ones stay selectable for comparison.
    loop: Literal["uvloop", "asyncio"] = "uvloop"
    http: Literal["httptools", "h11"] = "httptools"


class LogSettings(BaseModel):
    level: str = "INFO"
    json_output: bool = Field(default=False, alias="json")


class ServiceSettings(BaseSettings):
    """A service's settings: from its environment variables (the subclass names their
    ``env_prefix``), groups nested with ``__`` (``ROUTER_KAFKA__BOOTSTRAP_SERVERS``), a
    group given in part merged into its defaults, unknown variables ignored."""

    model_config = SettingsConfigDict(
        env_nested_delimiter="__", nested_model_default_partial_update=True, extra="ignore"
    )

    kafka: KafkaSettings = KafkaSettings()
    http: HttpSettings = HttpSettings()
    log: LogSettings = LogSettings()
