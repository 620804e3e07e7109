from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from leadrouter_runtime.settings import HttpSettings, KafkaSettings, LogSettings


class Settings(BaseSettings):
    """Scorer settings, from ``SCORER_*`` environment variables (nested with ``__``)."""

    model_config = SettingsConfigDict(
        env_prefix="SCORER_",
        env_nested_delimiter="__",
        nested_model_default_partial_update=True,
        extra="ignore",
    )

    kafka: KafkaSettings = KafkaSettings(client_id="scorer", group_id="scorer")
    http: HttpSettings = HttpSettings(port=8001)
    log: LogSettings = LogSettings()
    default_mql_threshold: int = Field(default=50, ge=0, le=100)
