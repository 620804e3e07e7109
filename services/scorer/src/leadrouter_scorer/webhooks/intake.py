"""From an authentic delivery to the submissions it carries: one mapping per platform,
the same whether the request has just come (the webhook route) or comes back from the
quarantine (the ``webhooks.raw`` consumer). Platforms whose webhook only names the
lead (Meta, LinkedIn, HubSpot's subscriptions) are resolved through their API here."""

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from leadrouter_scorer.webhooks.platforms import (
    facebook,
    generic,
    google_ads,
    hubspot,
    hubspot_subscriptions,
    linkedin,
    mailchimp,
    typeform,
    unbounce,
)
from leadrouter_scorer.webhooks.platforms.common import Submission, text_of
from leadrouter_scorer.webhooks.platforms.forms import form_fields
from leadrouter_scorer.webhooks.quarantine import Delivery
from leadrouter_scorer.webhooks.schemas import Ignored


class PlatformLookups(Protocol):
    """What mapping needs beyond the body: earlier deliveries and the platforms' APIs."""

    def already_accepted(self, source: str, delivery_id: str) -> object | None: ...

    async def graph_lead(self, leadgen_id: str) -> dict[str, Any]: ...

    async def linkedin_response(self, response_id: str) -> dict[str, Any]: ...

    async def linkedin_form(self, form_id: str) -> dict[str, Any]: ...

    async def hubspot_contact(self, object_id: str) -> dict[str, Any]: ...


Mapped = list[Submission] | Ignored
Mapping = Callable[[Delivery, PlatformLookups], Awaitable[Mapped]]


async def _generic(delivery: Delivery, _lookups: PlatformLookups) -> Mapped:
    return [generic.submission(delivery.body)]


async def _hubspot(delivery: Delivery, lookups: PlatformLookups) -> Mapped:
    if not hubspot_subscriptions.is_batch(delivery.body):
        return [hubspot.submission(delivery.body)]  # a workflow webhook: the contact itself
    events = hubspot_subscriptions.events_of(delivery.body)
    contacts = hubspot_subscriptions.contact_ids(events)
    if not contacts:
        return Ignored(ignored="no contact.creation or contact.propertyChange event")
    submissions = []
    for object_id in contacts:
        # A contact sent before (its creation, then a property change) is one lead.
        delivery_id = hubspot_subscriptions.delivery_id(object_id)
        if lookups.already_accepted("hubspot", delivery_id) is not None:
            submissions.append(hubspot_subscriptions.known(object_id))
        else:
            contact = await lookups.hubspot_contact(object_id)
            submissions.append(hubspot_subscriptions.submission(object_id, contact, events))
    return submissions


async def _typeform(delivery: Delivery, _lookups: PlatformLookups) -> Mapped:
    return [typeform.submission(delivery.body)]


async def _google_ads(delivery: Delivery, _lookups: PlatformLookups) -> Mapped:
    lead, raw = google_ads.parse(delivery.body)
    return [google_ads.submission(lead, raw)]


async def _facebook(delivery: Delivery, lookups: PlatformLookups) -> Mapped:
    changes = facebook.leadgen_changes(delivery.body)
    if not changes:
        return Ignored(ignored="no leadgen change")
    submissions = []
    for change in changes:
        # A redelivered lead is answered from memory, without asking the Graph API again.
        if lookups.already_accepted("facebook", change.leadgen_id) is not None:
            submissions.append(facebook.known(change))
        else:
            lead = await lookups.graph_lead(change.leadgen_id)
            submissions.append(facebook.submission(change, lead))
    return submissions


async def _linkedin(delivery: Delivery, lookups: PlatformLookups) -> Mapped:
    lead = linkedin.notification(delivery.body)
    if lead.lead_action != "CREATED":
        # DELETED: the member withdrew the lead; acknowledged, not a lead.
        return Ignored(ignored=f"leadAction {lead.lead_action or 'missing'}")
    if lookups.already_accepted("linkedin", lead.response_id) is not None:
        return [linkedin.known(lead)]
    response = await lookups.linkedin_response(lead.response_id)
    form_id = lead.form_id or linkedin.form_id_of(text_of(response.get("versionedLeadGenFormUrn")))
    form = await lookups.linkedin_form(form_id) if form_id else None
    return [linkedin.submission(lead, response, form)]


async def _unbounce(delivery: Delivery, _lookups: PlatformLookups) -> Mapped:
    return [unbounce.submission(delivery.body)]


async def _mailchimp(delivery: Delivery, _lookups: PlatformLookups) -> Mapped:
    fields = form_fields(delivery.body)
    kind = mailchimp.event_type(fields)
    if kind != "subscribe":
        return Ignored(ignored=f"type {kind or 'missing'}")
    return [mailchimp.submission(fields)]


MAPPINGS: dict[str, Mapping] = {
    "generic": _generic,
    "hubspot": _hubspot,
    "typeform": _typeform,
    "google-ads": _google_ads,
    "facebook": _facebook,
    "unbounce": _unbounce,
    "mailchimp": _mailchimp,
    "linkedin": _linkedin,
}


async def submissions(delivery: Delivery, lookups: PlatformLookups) -> Mapped:
    """The delivery's submissions (or why it is no lead); raises what cannot be mapped."""
    mapping = MAPPINGS.get(delivery.source)
    if mapping is None:
        raise LookupError(f"no mapping for source {delivery.source!r}")
    return await mapping(delivery, lookups)
