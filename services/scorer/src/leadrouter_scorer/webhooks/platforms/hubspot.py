"""HubSpot: a workflow webhook (the enrolled contact itself, ``hubspot_workflow``) or a
Webhooks API subscription batch (events naming contacts, ``hubspot_subscriptions``),
both signed with ``X-HubSpot-Signature-v3``
(https://developers.hubspot.com/docs/api/webhooks/validating-requests). A batch's
contacts are read through the CRM API, each once."""

from typing import Any
from urllib.parse import quote

from leadrouter_scorer.webhooks import adapters, signatures
from leadrouter_scorer.webhooks.config import WebhookSettings
from leadrouter_scorer.webhooks.platforms import hubspot_subscriptions
from leadrouter_scorer.webhooks.platforms.hubspot_workflow import submission
from leadrouter_scorer.webhooks.quarantine import Delivery
from leadrouter_scorer.webhooks.schemas import Ignored

__all__ = ["ADAPTER", "submission"]


def verify(inbound: adapters.Inbound, settings: WebhookSettings) -> adapters.Verified:
    """Method, URI (as the platform called it, behind a proxy too), body and timestamp."""
    hubspot = settings.hubspot
    uri = signatures.public_uri(
        settings.public_base_url, received=inbound.url, path=inbound.path, query=inbound.query
    )
    secrets = hubspot.secrets_for(inbound.campaign_id)
    valid = signatures.hubspot_v3_signature_valid(
        header=inbound.credentials.get("x_hubspot_signature_v3"),
        timestamp=inbound.credentials.get("x_hubspot_request_timestamp"),
        method=inbound.method,
        uri=uri,
        body=inbound.body,
        secrets=secrets,
        now=inbound.now,
        tolerance_s=hubspot.timestamp_tolerance_s,
    )
    adapters.require(valid, "hubspot", secrets)
    return adapters.Verified(inbound.body)


async def contact(lookups: adapters.PlatformLookups, object_id: str) -> dict[str, Any]:
    """``GET /crm/v3/objects/contacts/{objectId}?properties=...``."""
    hubspot = lookups.settings.hubspot
    base = hubspot.api_base_url.rstrip("/")
    return await lookups.api_get(
        adapters.ApiRead(
            "HubSpot",
            f"{base}/crm/v3/objects/contacts/{quote(object_id, safe='')}",
            headers={"Authorization": adapters.bearer(hubspot.access_token)},
            params={"properties": ",".join(hubspot.contact_properties)},
            timeout_s=hubspot.api_timeout_s,
            what="contact",
        )
    )


async def submissions(delivery: Delivery, lookups: adapters.PlatformLookups) -> adapters.Mapped:
    if not hubspot_subscriptions.is_batch(delivery.body):
        return [submission(delivery.body)]  # a workflow webhook: the contact itself
    events = hubspot_subscriptions.events_of(delivery.body)
    contacts = hubspot_subscriptions.contact_ids(events)
    if not contacts:
        return Ignored(ignored="no contact.creation or contact.propertyChange event")
    found = []
    for object_id in contacts:
        # A contact sent before (its creation, then a property change) is one lead.
        delivery_id = hubspot_subscriptions.delivery_id(object_id)
        if lookups.already_accepted("hubspot", delivery_id) is not None:
            found.append(hubspot_subscriptions.known(object_id))
        else:
            answer = await contact(lookups, object_id)
            found.append(hubspot_subscriptions.submission(object_id, answer, events))
    return found


ADAPTER = adapters.PlatformAdapter(
    source="hubspot",
    media_types=adapters.JSON,
    summary="Receive a HubSpot contact: a workflow webhook or a Webhooks API batch",
    description="Signed with `X-HubSpot-Signature-v3` and `X-HubSpot-Request-Timestamp`. "
    "A JSON object is a workflow webhook's contact; a JSON array is a Webhooks API batch "
    "whose `contact.creation` / `contact.propertyChange` contacts are read from the CRM "
    "API (one lead per contact; 200 when the batch has none; 503 when the API fails).",
    verify=verify,
    map=submissions,
    credentials=(
        adapters.header("x_hubspot_signature_v3"),
        adapters.header("x_hubspot_request_timestamp"),
    ),
    responses=adapters.ignoring("No contact event"),
)
