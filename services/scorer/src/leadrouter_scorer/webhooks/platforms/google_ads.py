"""Google Ads lead form extensions: the webhook's JSON, authenticated by ``google_key``
in the body (https://developers.google.com/google-ads/webhook/docs/implementation).

Answers come as ``user_column_data`` items with a ``column_id`` (``FULL_NAME``,
``EMAIL``, ``PHONE_NUMBER``...) and a ``string_value``; custom questions have a
``column_name`` (the question) as well. The samples of the testing page
(https://developers.google.com/google-ads/webhook/docs/testing), which the form's
*Send test data* button sends, spell the key ``Google_key``: the key is read under
any capitalisation. Ids are 64-bit integers in the schema and read as text.
"""

import json
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from leadrouter_scorer.webhooks import adapters, signatures
from leadrouter_scorer.webhooks.config import WebhookSettings
from leadrouter_scorer.webhooks.platforms.common import (
    LeadDraft,
    Submission,
    answer_text,
    json_object,
    text_of,
    validated,
)
from leadrouter_scorer.webhooks.quarantine import Delivery

_COLUMNS: dict[str, str] = {
    "FULL_NAME": "full_name",
    "FIRST_NAME": "contact.first_name",
    "LAST_NAME": "contact.last_name",
    "EMAIL": "contact.email",
    "WORK_EMAIL": "contact.email",
    "PHONE_NUMBER": "contact.phone",
    "WORK_PHONE": "contact.phone",
    "COMPANY_NAME": "company.name",
    "JOB_TITLE": "contact.job_title",
    "COUNTRY": "contact.country",
    "POSTAL_CODE": "contact.postal_code",
    "REGION": "contact.region",
}
_KEY_FIELD = "google_key"

Id = Annotated[str | None, BeforeValidator(text_of)]
Text = Annotated[str | None, BeforeValidator(answer_text)]


class _Column(BaseModel):
    model_config = ConfigDict(extra="ignore")
    column_id: Text = None
    column_name: Text = None
    string_value: Text = None


def _is_test(value: Any) -> bool:
    # "If value is false or if field is not present, treat this lead as valid production lead."
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


class GoogleAdsLead(BaseModel):
    model_config = ConfigDict(extra="ignore")
    lead_id: Annotated[str, BeforeValidator(text_of), Field(min_length=1)]
    google_key: str | None = None
    form_id: Id = None
    campaign_id: Id = None
    adgroup_id: Id = None
    creative_id: Id = None
    gcl_id: Id = None
    is_test: Annotated[bool, BeforeValidator(_is_test)] = False
    lead_submit_time: Text = None
    user_column_data: list[_Column] = Field(default_factory=list)


def _key_fields(raw: dict[str, Any]) -> list[str]:
    return [name for name in raw if name.strip().lower() == _KEY_FIELD]


def parse(body: bytes) -> tuple[GoogleAdsLead, dict[str, Any]]:
    """The payload (its key included: it is checked before anything is mapped)."""
    raw = json_object(body)
    keys = [raw[name] for name in _key_fields(raw)]
    columns = raw.get("user_column_data")
    lead = validated(
        GoogleAdsLead,
        {
            **raw,
            "user_column_data": columns if isinstance(columns, list) else [],
            _KEY_FIELD: next((key for key in keys if isinstance(key, str)), None),
        },
    )
    return lead, raw


def _submitted_at(value: str | None) -> datetime | None:
    """``lead_submit_time``: ISO 8601, e.g. ``2024-09-26T12:30:00Z``."""
    try:
        moment = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def key_of(raw: dict[str, Any]) -> str | None:
    """The key the advertiser set on the form (under any capitalisation), else none."""
    keys = [raw[name] for name in _key_fields(raw)]
    return next((key for key in keys if isinstance(key, str)), None)


def without_key(body: bytes, raw: dict[str, Any]) -> bytes:
    """The body without its key (a secret, never stored): re-serialised when it had one."""
    secret = _key_fields(raw)
    if not secret:
        return body
    kept = {name: value for name, value in raw.items() if name not in secret}
    return json.dumps(kept, ensure_ascii=False).encode()


def submission(lead: GoogleAdsLead, raw: dict[str, Any]) -> Submission:
    draft = LeadDraft()
    for column in lead.user_column_data:
        target = _COLUMNS.get(column.column_id or "")
        if target is not None and column.string_value:
            if target == "contact.country":
                draft.add("country", column.string_value)
            else:
                draft.put(target, column.string_value)
        else:
            draft.add(column.column_name or column.column_id or "answer", column.string_value)
    if lead.is_test:
        # The "Send test data" button of the form: the validation criteria may reject it.
        draft.answers["is_test"] = "true"
    draft.attribution.update(utm_source="google", utm_medium="cpc")
    if lead.campaign_id:
        draft.attribution["utm_campaign"] = lead.campaign_id
    # The key is a secret: it is checked, never stored.
    secret = set(_key_fields(raw))
    kept = {name: value for name, value in raw.items() if name not in secret}
    return Submission(
        delivery_id=lead.lead_id,
        external_id=lead.lead_id,
        draft=draft,
        raw=kept,
        submitted_at=_submitted_at(lead.lead_submit_time),
        form_id=lead.form_id,
        platform_campaign_id=lead.campaign_id,
    )


def verify(inbound: adapters.Inbound, settings: WebhookSettings) -> adapters.Verified:
    """The key is inside the body: it is parsed (size-bounded) before it is checked, and
    it is a secret: what is kept (and maybe quarantined) is the body without it."""
    raw = json_object(inbound.body)
    secrets = settings.google_ads.secrets_for(inbound.campaign_id)
    adapters.require(signatures.shared_key_valid(key_of(raw), secrets), "google-ads", secrets)
    return adapters.Verified(without_key(inbound.body, raw))


async def submissions(delivery: Delivery, _lookups: adapters.PlatformLookups) -> adapters.Mapped:
    lead, raw = parse(delivery.body)
    return [submission(lead, raw)]


ADAPTER = adapters.PlatformAdapter(
    source="google-ads",
    media_types=adapters.JSON,
    summary="Receive a Google Ads lead form extension lead",
    description="Authenticated by `google_key` in the body, equal to the configured key.",
    verify=verify,
    map=submissions,
)
