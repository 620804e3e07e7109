"""Webhook settings: one group per source, nested under ``SCORER_WEBHOOKS__``.

Secrets are lists so that a rotation has a window where the current and the
previous secret are both accepted (put the new one first, drop the old one later).
"""

from pydantic import BaseModel, Field, SecretStr


class SourceSettings(BaseModel):
    secrets: list[SecretStr] = Field(
        default_factory=list,
        description="Accepted secrets, current first; two during a rotation.",
    )
    campaign_secrets: dict[str, list[SecretStr]] = Field(
        default_factory=dict,
        description="Per campaign (the URL's `?campaign_id=`): replaces `secrets` for it.",
    )
    default_campaign_id: str | None = Field(
        default=None, description="Our campaign when neither the URL nor `campaigns` names one."
    )
    campaigns: dict[str, str] = Field(
        default_factory=dict, description="The platform's form/campaign id -> our campaign id."
    )
    rate_limit_per_second: float | None = Field(
        default=None,
        gt=0,
        description="Optional cap on all requests of this source, per process (429 past "
        "it). Off by default: authentic traffic is bounded by `max_in_flight` only.",
    )
    rate_limit_burst: int = Field(default=100, ge=1)

    def secrets_for(self, campaign_id: str | None) -> list[SecretStr]:
        if campaign_id is not None and campaign_id in self.campaign_secrets:
            return self.campaign_secrets[campaign_id]
        return self.secrets


class GenericSettings(SourceSettings):
    """Our generic format: signed the Standard Webhooks way when ``secrets`` are set."""

    timestamp_tolerance_s: int = Field(
        default=300, ge=1, description="Refuse requests signed longer ago or ahead (5 min)."
    )
    accept_legacy_signature: bool = Field(
        default=False,
        description="Deprecated: also accept `X-Leadrouter-Signature: sha256=<hex HMAC of the "
        "body>` without a timestamp (replayable), for senders not yet on Standard Webhooks.",
    )


class HubSpotSettings(SourceSettings):
    timestamp_tolerance_s: int = Field(
        default=300, ge=1, description="HubSpot: reject requests signed longer ago (5 min)."
    )
    access_token: SecretStr | None = Field(
        default=None,
        description="Private app or OAuth token with crm.objects.contacts.read: reads the "
        "contacts that a Webhooks API subscription batch names.",
    )
    api_base_url: str = "https://api.hubapi.com"
    api_timeout_s: float = Field(default=5.0, gt=0)
    contact_properties: list[str] = Field(
        default_factory=lambda: [
            "email", "firstname", "lastname", "phone", "mobilephone", "company", "website",
            "jobtitle", "country", "state", "zip", "city", "industry", "numemployees",
            "hs_language", "hs_legal_basis", "lifecyclestage",
        ],
        description="The contact properties read from the CRM API (`?properties=`).",
    )  # fmt: skip


class FacebookSettings(SourceSettings):
    verify_token: SecretStr | None = Field(
        default=None, description="The token you type in the Meta app's webhook set-up."
    )
    access_token: SecretStr | None = Field(
        default=None, description="Page access token with leads_retrieval, for the Graph API."
    )
    graph_base_url: str = "https://graph.facebook.com"
    graph_version: str = "v21.0"
    graph_timeout_s: float = Field(default=5.0, gt=0)


class LinkedInSettings(SourceSettings):
    """``secrets``: the app's client secret(s): they sign each notification
    (``X-LI-Signature``) and answer the endpoint validation (``challengeCode``)."""

    access_token: SecretStr | None = Field(
        default=None,
        description="OAuth token with r_marketing_leadgen_automation, for the Lead Sync API.",
    )
    api_base_url: str = "https://api.linkedin.com"
    api_version: str = Field(
        default="202601", description="The `LinkedIn-Version` header (YYYYMM) of API calls."
    )
    api_timeout_s: float = Field(default=5.0, gt=0)


class WebhookSettings(BaseModel):
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    public_base_url: str | None = Field(
        default=None,
        description="Scheme and host the platforms call (e.g. https://leads.example.com), "
        "for signatures over the URL (HubSpot) behind a proxy; the request's URL if unset.",
    )
    max_in_flight: int = Field(
        default=512,
        ge=1,
        description="Requests being read, checked and published at once, per process; "
        "past it 503 with Retry-After (decision 0103).",
    )
    unauthenticated_per_second: float = Field(
        default=5.0,
        gt=0,
        description="Requests per source that fail authentication (or name no source), "
        "per process, before they are answered 429.",
    )
    unauthenticated_burst: int = Field(default=50, ge=1)
    dedupe_ttl_s: float = Field(default=24 * 3600, gt=0)
    publish_timeout_s: float = Field(
        default=1.0,
        gt=0,
        description="How long a webhook waits for Kafka's acknowledgement before a 503: "
        "below the platforms' own timeouts (docs/decisions/0104).",
    )
    broker_down_retry_after_s: int = Field(
        default=10,
        ge=1,
        description="After a failed publication, webhooks are answered 503 at once for this "
        "long (and told to retry after it), then Kafka is tried again.",
    )
    dedupe_max_entries: int = Field(default=100_000, ge=1)

    generic: GenericSettings = GenericSettings()
    hubspot: HubSpotSettings = HubSpotSettings()
    typeform: SourceSettings = SourceSettings()
    google_ads: SourceSettings = SourceSettings()
    facebook: FacebookSettings = FacebookSettings()
    unbounce: SourceSettings = SourceSettings()
    mailchimp: SourceSettings = SourceSettings()
    linkedin: LinkedInSettings = LinkedInSettings()

    def source(self, name: str) -> SourceSettings:
        settings: SourceSettings = getattr(self, name.replace("-", "_"))
        return settings
