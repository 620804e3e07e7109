"""Google Ads lead form extensions: the webhook's JSON, authenticated by ``google_key``
in the body (https://developers.google.com/google-ads/webhook/docs/implementation).

Answers come as ``user_column_data`` items with a ``column_id`` (``FULL_NAME``,
``EMAIL``, ``PHONE_NUMBER``...) and a ``string_value``; custom questions have a
``column_name`` (the question) as well.
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from leadrouter_scorer.webhooks.platforms.common import (
    LeadDraft,
    Submission,
    json_object,
    validated,
)

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


class _Column(BaseModel):
    model_config = ConfigDict(extra="ignore")
    column_id: str | None = None
    column_name: str | None = None
    string_value: str | None = None


class GoogleAdsLead(BaseModel):
    model_config = ConfigDict(extra="ignore")
    lead_id: str = Field(min_length=1)
    google_key: str | None = None
    form_id: int | str | None = None
    campaign_id: int | str | None = None
    adgroup_id: int | str | None = None
    creative_id: int | str | None = None
    gcl_id: str | None = None
    is_test: bool = False
    user_column_data: list[_Column] = Field(default_factory=list)


def parse(body: bytes) -> tuple[GoogleAdsLead, dict[str, Any]]:
    """The payload (``google_key`` included: it is checked before anything is mapped)."""
    raw = json_object(body)
    return validated(GoogleAdsLead, raw), raw


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
    campaign = str(lead.campaign_id) if lead.campaign_id is not None else None
    draft.attribution.update(utm_source="google", utm_medium="cpc")
    if campaign:
        draft.attribution["utm_campaign"] = campaign
    # The key is a secret: it is checked, never stored.
    kept = {name: value for name, value in raw.items() if name != "google_key"}
    return Submission(
        delivery_id=lead.lead_id,
        external_id=lead.lead_id,
        draft=draft,
        raw=kept,
        form_id=str(lead.form_id) if lead.form_id is not None else None,
        platform_campaign_id=campaign,
    )
