"""Mailchimp audience webhooks: a URL-encoded form such as
``type=subscribe&fired_at=2009-03-26 21:35:57&data[id]=8a25ff1d98&data[email]=...``
(https://mailchimp.com/developer/marketing/guides/sync-audience-data-webhooks/).

Only ``subscribe`` is a new lead; the other types are acknowledged and ignored.
Mailchimp signs nothing: its guide says to put a secret in the webhook URL,
checked here as ``?token=``.
"""

from datetime import UTC, datetime

from fastapi import Request

from leadrouter_scorer.webhooks import adapters
from leadrouter_scorer.webhooks.openapi import RESPONSES
from leadrouter_scorer.webhooks.platforms.common import LeadDraft, Submission, missing
from leadrouter_scorer.webhooks.platforms.forms import form_fields
from leadrouter_scorer.webhooks.quarantine import Delivery
from leadrouter_scorer.webhooks.schemas import Ignored

# Merge tags of the default audience fields -> our names.
_MERGES = {
    "EMAIL": "contact.email",
    "FNAME": "contact.first_name",
    "LNAME": "contact.last_name",
    "PHONE": "contact.phone",
    "COMPANY": "company.name",
}


def event_type(fields: dict[str, str]) -> str:
    return fields.get("type", "")


def submission(fields: dict[str, str]) -> Submission:
    member_id = fields.get("data[id]")
    list_id = fields.get("data[list_id]")
    email = fields.get("data[email]")
    if not member_id or not email:
        raise missing(*[n for n, v in (("data[id]", member_id), ("data[email]", email)) if not v])
    draft = LeadDraft()
    draft.put("contact.email", email)
    for name, value in fields.items():
        if name.startswith("data[merges][") and name.endswith("]"):
            tag = name[len("data[merges][") : -1]
            if tag in _MERGES:
                draft.put(_MERGES[tag], value)
            elif "][" not in tag:
                draft.add(tag, value)
            else:
                # Nested merges (GROUPINGS, ADDRESS): data[merges][ADDRESS][city] -> ADDRESS.city
                draft.answer(tag.replace("][", "."), value)
    fired_at = fields.get("fired_at", "")
    try:
        # Mailchimp sends "YYYY-MM-DD HH:MM:SS" in UTC.
        submitted_at = datetime.strptime(fired_at, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        submitted_at = None
    # Subscribing to an audience is the opt-in; Mailchimp names the IP that confirmed it.
    draft.consent = {
        "given": True,
        "text": f"Subscribed to the Mailchimp audience {list_id}",
        "given_at": submitted_at.isoformat() if submitted_at else None,
        "ip": fields.get("data[ip_opt]") or fields.get("data[ip_signup]") or None,
    }
    return Submission(
        delivery_id=f"subscribe:{list_id}:{member_id}:{fired_at}",
        external_id=member_id,
        draft=draft,
        raw=fields,
        submitted_at=submitted_at,
        form_id=list_id,
        platform_campaign_id=list_id,
    )


async def submissions(delivery: Delivery, _lookups: adapters.PlatformLookups) -> adapters.Mapped:
    fields = form_fields(delivery.body)
    kind = event_type(fields)
    if kind != "subscribe":
        return Ignored(ignored=f"type {kind or 'missing'}")
    return [submission(fields)]


async def verify_mailchimp(
    request: Request, campaign_id: adapters.CampaignParam = None, token: adapters.TokenParam = None
) -> dict[str, str]:
    # Mailchimp's GET when the webhook is set up: the URL exists (and holds the token).
    adapters.check_token(
        token, adapters.webhook_settings(request).mailchimp.secrets_for(campaign_id)
    )
    return {"status": "ok"}


ADAPTER = adapters.PlatformAdapter(
    source="mailchimp",
    media_types=adapters.FORM,
    summary="Receive a Mailchimp audience subscribe",
    description="URL-encoded (`type=subscribe&data[email]=...`); other types are "
    "acknowledged with 200 and ignored. When secrets are set, the URL carries one as "
    "`?token=`.",
    # Mailchimp signs nothing: a request is only known to be ours by the token.
    verify=adapters.url_token("mailchimp"),
    map=submissions,
    credentials=(adapters.TOKEN,),
    responses=adapters.ignoring("Not a subscribe"),
    handshake=adapters.Handshake(
        endpoint=verify_mailchimp,
        summary="Mailchimp's check that the webhook URL exists",
        responses={200: {"description": "The URL exists"}, 401: RESPONSES[401]},
    ),
)
