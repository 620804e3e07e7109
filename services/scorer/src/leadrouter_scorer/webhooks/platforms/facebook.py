"""Meta Lead Ads: the ``leadgen`` webhook names the lead; its answers come from the
Graph API (https://developers.facebook.com/docs/marketing-api/guides/lead-ads/retrieving/).

The webhook (``object: page``) carries ``entry[].changes[].value.leadgen_id``, as a
JSON number in the sample of
https://developers.facebook.com/docs/graph-api/webhooks/getting-started/webhooks-for-leadgen/
and as a string from the app dashboard's test tool: ids are read as text either way.
``GET /{version}/{leadgen_id}`` answers ``field_data`` (``[{name, values}]``) and
``custom_disclaimer_responses`` (the consent checkboxes, ``is_checked`` ``"1"`` or ``""``).
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from leadrouter_scorer.webhooks import adapters, signatures
from leadrouter_scorer.webhooks.openapi import RESPONSES
from leadrouter_scorer.webhooks.platforms.common import (
    LeadDraft,
    Submission,
    answer_text,
    json_object,
    text_of,
    validated,
)
from leadrouter_scorer.webhooks.problems import Forbidden
from leadrouter_scorer.webhooks.quarantine import Delivery
from leadrouter_scorer.webhooks.schemas import Ignored

Id = Annotated[str | None, BeforeValidator(text_of)]


class LeadgenChange(BaseModel):
    model_config = ConfigDict(extra="ignore")
    leadgen_id: Annotated[str, BeforeValidator(text_of), Field(min_length=1)]
    form_id: Id = None
    page_id: Id = None
    ad_id: Id = None
    adgroup_id: Id = None
    created_time: Id = None


class _Change(BaseModel):
    model_config = ConfigDict(extra="ignore")
    field: Any = None
    value: Any = None


class _Entry(BaseModel):
    model_config = ConfigDict(extra="ignore")
    changes: list[_Change] = Field(default_factory=list)


class LeadgenNotification(BaseModel):
    model_config = ConfigDict(extra="ignore")
    object: str
    entry: list[_Entry] = Field(default_factory=list)


def leadgen_changes(body: bytes) -> list[LeadgenChange]:
    """Every new lead named by the notification, once each (other fields' changes are
    skipped; Meta batches several entries and changes in one POST)."""
    notification = validated(LeadgenNotification, json_object(body))
    changes: dict[str, LeadgenChange] = {}
    for entry in notification.entry:
        for change in entry.changes:
            if change.field == "leadgen":
                found = validated(LeadgenChange, change.value)
                changes.setdefault(found.leadgen_id, found)
    return list(changes.values())


class _FieldData(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: Annotated[str, BeforeValidator(answer_text)]
    values: Any = None


class _Disclaimer(BaseModel):
    model_config = ConfigDict(extra="ignore")
    checkbox_key: Annotated[str | None, BeforeValidator(answer_text)] = None
    is_checked: Any = None

    @property
    def checked(self) -> bool:
        return str(self.is_checked).strip().lower() in ("1", "true")


class GraphLead(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: Id = None
    created_time: Id = None
    form_id: Id = None
    ad_id: Id = None
    campaign_id: Id = None
    field_data: list[_FieldData] = Field(default_factory=list)
    custom_disclaimer_responses: list[_Disclaimer] = Field(default_factory=list)


def graph_time(value: str | None) -> datetime | None:
    """Graph API times look like ``2015-02-28T08:49:14+0000``."""
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z") if value else None
    except ValueError:
        return None


def _values(values: Any) -> str | None:
    return answer_text(values if isinstance(values, list) else [values])


def submission(change: LeadgenChange, graph_lead: dict[str, Any]) -> Submission:
    lead = validated(GraphLead, graph_lead)
    draft = LeadDraft()
    for item in lead.field_data:
        draft.add(item.name, _values(item.values))
    submitted_at = graph_time(lead.created_time)
    if lead.custom_disclaimer_responses:
        disclaimers = lead.custom_disclaimer_responses
        for number, disclaimer in enumerate(disclaimers, start=1):
            name = disclaimer.checkbox_key or f"disclaimer {number}"
            draft.answer(name, "checked" if disclaimer.checked else "not checked")
        draft.consent = {
            "given": all(d.checked for d in disclaimers),
            "text": ", ".join(d.checkbox_key or "" for d in disclaimers),
            "form_version": lead.form_id or change.form_id,
            "given_at": submitted_at.isoformat() if submitted_at else None,
        }
    # The lead's other fields that the Graph API answers when asked (ad_name,
    # campaign_name, platform, is_organic...): kept as answers.
    for name, value in (lead.model_extra or {}).items():
        draft.answer(name, answer_text(value))
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
        platform_campaign_id=lead.campaign_id or form_id,
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


async def graph_lead(lookups: adapters.PlatformLookups, leadgen_id: str) -> dict[str, Any]:
    """The lead's fields from the Graph API; any failure is 503 so that Meta sends the
    notification again later (it retries failed deliveries for up to 36 hours)."""
    facebook = lookups.settings.facebook
    return await lookups.api_get(
        adapters.ApiRead(
            "Graph",
            f"{facebook.graph_base_url.rstrip('/')}/{facebook.graph_version}/{leadgen_id}",
            headers={"Authorization": adapters.bearer(facebook.access_token)},
            timeout_s=facebook.graph_timeout_s,
            what=f"lead {leadgen_id}",
        )
    )


async def submissions(delivery: Delivery, lookups: adapters.PlatformLookups) -> adapters.Mapped:
    changes = leadgen_changes(delivery.body)
    if not changes:
        return Ignored(ignored="no leadgen change")
    found = []
    for change in changes:
        # A redelivered lead is answered from memory, without asking the Graph API again.
        if lookups.already_accepted("facebook", change.leadgen_id) is not None:
            found.append(known(change))
        else:
            found.append(submission(change, await graph_lead(lookups, change.leadgen_id)))
    return found


async def verify_facebook(
    request: Request,
    mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    verify_token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge", max_length=200)] = None,
) -> PlainTextResponse:
    # https://developers.facebook.com/docs/graph-api/webhooks/getting-started#verification-requests
    expected = adapters.webhook_settings(request).facebook.verify_token
    if (
        mode != "subscribe"
        or expected is None
        or not signatures.shared_key_valid(verify_token, [expected])
    ):
        raise Forbidden("hub.mode must be subscribe and hub.verify_token the configured token.")
    return PlainTextResponse(challenge or "")


ADAPTER = adapters.PlatformAdapter(
    source="facebook",
    media_types=adapters.JSON,
    summary="Receive a Meta Lead Ads leadgen notification",
    description="Signed with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>` "
    "(the app secret); each lead's answers are read from the Graph API. 503 when the "
    "Graph API fails: nothing is stored and Meta sends the notification again.",
    map=submissions,
    **adapters.signed_body(
        "facebook", "x_hub_signature_256", signatures.hex_sha256_signature_valid
    ),
    responses=adapters.ignoring("No lead in it"),
    handshake=adapters.Handshake(
        endpoint=verify_facebook,
        summary="Meta's webhook verification: echo hub.challenge",
        response_class=PlainTextResponse,
        responses={
            200: {"content": {"text/plain": {}}, "description": "The challenge, echoed"},
            403: RESPONSES[403],
            422: RESPONSES[422],
        },
    ),
)
