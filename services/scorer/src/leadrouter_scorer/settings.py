from pydantic import Field
from pydantic_settings import SettingsConfigDict

from leadrouter_runtime.settings import HttpSettings, KafkaSettings, ServiceSettings
from leadrouter_scorer.webhooks.config import WebhookSettings


class Settings(ServiceSettings):
    """Scorer settings, from ``SCORER_*`` environment variables (nested with ``__``)."""

    model_config = SettingsConfigDict(env_prefix="SCORER_")

    # Idle, the scorer's three consumers fetched and polled 13 times a second, about
    # half its idle CPU; a record still ends a fetch or a poll at once (decision 0206).
    kafka: KafkaSettings = KafkaSettings(
        client_id="scorer", group_id="scorer", fetch_max_wait_ms=2000, poll_timeout_ms=1000
    )
    http: HttpSettings = HttpSettings(port=8001)
    default_mql_threshold: int = Field(default=50, ge=0, le=100)
    accept_unknown_campaigns: bool = Field(
        default=False,
        description="Score leads of campaigns missing from config.campaigns with the default "
        "criteria and model, instead of rejecting them with `campaign.unknown`.",
    )
    campaigns_load_timeout_s: float = Field(default=30.0, gt=0)
    lag_interval_s: float = Field(default=5.0, gt=0, description="How often consumer lag is read.")
    webhooks: WebhookSettings = WebhookSettings()
