"""Meta Lead Ads: the ``leadgen`` webhook names the lead; its answers come from the
Graph API (https://developers.facebook.com/docs/marketing-api/guides/lead-ads/retrieving/).

The webhook (``object: page``) carries ``entry[].changes[].value.leadgen_id``;
``GET /{version}/{leadgen_id}`` answers ``field_data`` (``[{name, values}]``) and
``custom_disclaimer_responses`` (the consent checkboxes).
"""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from leadrouter_scorer.webhooks.platforms.common import (
    LeadDraft,
    Submission,
    json_object,
    validated,
)


class LeadgenChange(BaseModel):
    model_config = ConfigDict(extra="ignore")
    leadgen_id: str = Field(min_length=1)
    form_id: str | None = None
    page_id: str | None = None
    ad_id: str | None = None
    adgroup_id: str | None = None
    created_time: int | None = None


class _Change(BaseModel):
    model_config = ConfigDict(extra="ignore")
    field: str
    value: dict[str, Any] = Field(default_factory=dict)


class _Entry(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str | None = None
    changes: list[_Change] = Field(default_factory=list)


class LeadgenNotification(BaseModel):
    model_config = ConfigDict(extra="ignore")
    object: str
    entry: list[_Entry] = Field(default_factory=list)


def leadgen_changes(body: bytes) -> list[LeadgenChange]:
    """Every new lead named by the notification (other fields' changes are skipped)."""
    notification = validated(LeadgenNotification, json_object(body))
    changes = [
        change.value
        for entry in notification.entry
        for change in entry.changes
        if change.field == "leadgen"
    ]
    return [validated(LeadgenChange, value) for value in changes]


class _FieldData(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str
    values: list[str] = Field(default_factory=list)


class _Disclaimer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    checkbox_key: str | None = None
    is_checked: str | bool | None = None


class GraphLead(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    created_time: str | None = None
    form_id: str | None = None
    ad_id: str | None = None
    campaign_id: str | None = None
    field_data: list[_FieldData] = Field(default_factory=list)
    custom_disclaimer_responses: list[_Disclaimer] = Field(default_factory=list)


def graph_time(value: str | None) -> datetime | None:
    """Graph API times look like ``2015-02-28T08:49:14+0000``."""
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z") if value else None
    except ValueError:
        return None


def submission(change: LeadgenChange, graph_lead: dict[str, Any]) -> Submission:
    lead = validated(GraphLead, graph_lead)
    draft = LeadDraft()
    for item in lead.field_data:
        draft.add(item.name, ", ".join(item.values))
    submitted_at = graph_time(lead.created_time)
    if lead.custom_disclaimer_responses:
        checked = [
            str(d.is_checked).lower() in ("1", "true") for d in lead.custom_disclaimer_responses
        ]
        draft.consent = {
            "given": all(checked),
            "text": ", ".join(d.checkbox_key or "" for d in lead.custom_disclaimer_responses),
            "form_version": lead.form_id or change.form_id,
            "given_at": submitted_at.isoformat() if submitted_at else None,
        }
    draft.attribution["utm_source"] = "facebook"
    if lead.ad_id or change.ad_id:
        draft.attribution["utm_content"] = lead.ad_id or change.ad_id
    form_id = lead.form_id or change.form_id
    return Submission(
        delivery_id=change.leadgen_id,
        external_id=change.leadgen_id,
        draft=draft,
        raw={"webhook": change.model_dump(exclude_none=True), "lead": graph_lead},
        submitted_at=submitted_at,
        form_id=form_id,
        platform_campaign_id=form_id,
    )


def known(change: LeadgenChange) -> Submission:
    """A lead accepted before: only its delivery id matters (it is answered from memory)."""
    return Submission(
        delivery_id=change.leadgen_id,
        external_id=change.leadgen_id,
        draft=LeadDraft(),
        raw={"webhook": change.model_dump(exclude_none=True)},
        form_id=change.form_id,
    )
