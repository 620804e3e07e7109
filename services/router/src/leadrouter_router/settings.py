from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from leadrouter_runtime import standard_webhooks
from leadrouter_runtime.settings import HttpSettings, KafkaSettings, ServiceSettings


class DatabaseSettings(BaseModel):
    url: str = Field(
        default="sqlite+aiosqlite:///var/router.db",
        description="SQLAlchemy async URL: a SQLite file (embedded) or postgresql+asyncpg://",
    )
    migrate_on_start: bool = True
    echo: bool = False


class HubSpotSettings(BaseModel):
    base_url: str = "https://api.hubapi.com"
    note_key_property: str = Field(
        default="leadrouter_assignment_id",
        description="A custom note property with unique values (hasUniqueValue) holding the "
        "assignment id: notes are read by it, so a retry makes no second note.",
    )


class SalesforceSettings(BaseModel):
    instance_url: str = Field(
        default="https://example.my.salesforce.com", description="The org's My Domain URL."
    )
    api_version: str = Field(default="v60.0", pattern=r"^v\d+\.\d$")
    lead_external_id_field: str = Field(
        default="Leadrouter_Lead_Id__c", description="External id field on Lead (upsert key)."
    )
    task_external_id_field: str = Field(
        default="Leadrouter_Assignment_Id__c", description="External id field on Task."
    )


class CrmSettings(BaseModel):
    kind: Literal["generic", "hubspot", "salesforce"] = Field(
        default="generic", description="Which adapter delivers assignments (docs/crm.md)."
    )
    url: str = Field(
        default="http://127.0.0.1:8003/assignments", description="The generic webhook's URL."
    )
    token: SecretStr | None = Field(
        default=None, description="Bearer token: HubSpot private app, Salesforce OAuth, webhook."
    )
    signing_secrets: list[SecretStr] = Field(
        default_factory=list,
        description="Standard Webhooks secrets (`whsec_<base64>`), current first: each "
        "generic webhook carries `webhook-id`, `webhook-timestamp` and one `v1,<sig>` per "
        "secret in `webhook-signature` (two during a rotation).",
    )
    signing_secret: SecretStr | None = Field(
        default=None,
        description="Deprecated: also sign the old way, `X-Leadrouter-Signature: v1=<hex "
        "HMAC-SHA256 of timestamp.body>` with `X-Leadrouter-Timestamp`, for receivers not "
        "yet on Standard Webhooks.",
    )
    timeout_s: float = Field(default=10.0, gt=0, description="Read and write timeout.")
    connect_timeout_s: float = Field(default=5.0, gt=0)
    pool_timeout_s: float = Field(default=5.0, gt=0, description="Wait for a free connection.")
    max_concurrency: int = Field(default=8, ge=1, description="Requests in flight at most.")
    rate_per_s: float | None = Field(
        default=None,
        gt=0,
        description="Requests per second for the whole CRM account, shared by every router "
        "(a row in the database); None: the kind's default (HubSpot 9/s with a burst of 10, "
        "within its 100 per rolling 10 s; Salesforce 20/s; generic: no budget).",
    )
    rate_burst: float | None = Field(default=None, ge=1, description="Bucket size; None: default.")
    rate_max_wait_s: float = Field(
        default=20.0,
        gt=0,
        description="A call that would wait longer for the budget is not made: retried later.",
    )
    hubspot: HubSpotSettings = HubSpotSettings()
    salesforce: SalesforceSettings = SalesforceSettings()

    @field_validator("signing_secrets")
    @classmethod
    def _standard_secrets(cls, secrets: list[SecretStr]) -> list[SecretStr]:
        if any(standard_webhooks.key(secret) is None for secret in secrets):
            raise ValueError("each signing secret must be whsec_ followed by base64")
        return secrets


class OutboxSettings(BaseModel):
    poll_interval_s: float = Field(default=1.0, gt=0)
    batch_size: int = Field(default=100, ge=1)
    lease_s: float = Field(default=60.0, gt=0, description="A claimed message is retried after.")
    backoff_base_s: float = Field(default=0.5, gt=0)
    backoff_max_s: float = Field(default=300.0, gt=0)
    circuit_failures: int = Field(
        default=5,
        ge=1,
        description="Retryable failures in a row that open a destination's circuit.",
    )
    circuit_probe_interval_s: float = Field(
        default=1.0, gt=0, description="While a circuit is open, one probe this often (jittered)."
    )


class RoutingSettings(BaseModel):
    recheck_interval_s: float = Field(
        default=30.0, gt=0, description="How often unassigned leads are tried again."
    )
    recheck_batch_size: int = Field(default=200, ge=1)


class SlaSettings(BaseModel):
    check_interval_s: float = Field(
        default=30.0, gt=0, description="How often service-level deadlines are checked."
    )
    batch_size: int = Field(default=200, ge=1)
    manager_webhook_url: str | None = Field(
        default=None, description="Receives a JSON notification for every missed SLA."
    )
    manager_webhook_token: SecretStr | None = Field(
        default=None, description="Sent as a bearer token to the manager webhook if set."
    )


class OpsSettings(BaseModel):
    sample_interval_s: float = Field(
        default=5.0, gt=0, description="How often the ops page's topic offsets are read."
    )
    throughput_window_s: float = Field(
        default=60.0, gt=0, description="The window records per second are measured over."
    )
    scorer_group_id: str = Field(
        default="scorer", description="The scorer's consumer group, to show its lag."
    )


Scope = Literal["admin", "crm", "read"]


class ApiKey(BaseModel):
    name: str = Field(min_length=1, description="Who holds it (shown in logs, never the key).")
    key: SecretStr = Field(min_length=16)
    scope: Scope


class AuthSettings(BaseModel):
    api_keys: list[ApiKey] = Field(
        default_factory=list,
        description="With none configured the API is open for reading only (local use).",
    )


class Settings(ServiceSettings):
    """Router settings, from ``ROUTER_*`` environment variables (nested with ``__``)."""

    model_config = SettingsConfigDict(env_prefix="ROUTER_")

    # Under load a batch waits up to 50 ms to fill: a batch's transaction and the
    # relay cycle it wakes cost the same for 2 leads as for 50 (docs/performance.md).
    kafka: KafkaSettings = KafkaSettings(client_id="router", group_id="router", batch_linger_ms=50)
    http: HttpSettings = HttpSettings(port=8002)
    db: DatabaseSettings = DatabaseSettings()
    crm: CrmSettings = CrmSettings()
    outbox: OutboxSettings = OutboxSettings()
    routing: RoutingSettings = RoutingSettings()
    auth: AuthSettings = AuthSettings()
    sla: SlaSettings = SlaSettings()
    ops: OpsSettings = OpsSettings()
    seed_demo_salespeople: bool = Field(
        default=False, description="Create the demo sales team when there is no salesperson."
    )
    lag_interval_s: float = Field(
        default=5.0, gt=0, description="How often the consumer lag on leads.scored is read."
    )
