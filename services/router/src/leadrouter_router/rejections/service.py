"""Recording rejected leads: one row per ``LeadRejected`` event, stored once."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.rejections import repository
from leadrouter_schemas import LeadRejected


def rejection_values(event: LeadRejected, *, now: datetime) -> dict[str, Any]:
    """The row of one event: campaign, reasons and times; nothing that names the person."""
    lead = event.data.lead
    return {
        "event_id": event.event_id,
        "campaign_id": lead.campaign_id,
        "source": lead.source,
        # A lead may fail one criterion on several fields (two `field.missing`): the
        # funnel counts leads per code, so each code is kept once.
        "reason_codes": list(dict.fromkeys(reason.code for reason in event.data.reasons)),
        # The funnel's period goes by reception, as for the leads the router stores;
        # a lead produced straight to leads.received has no webhook time.
        "received_at": lead.received_at or event.occurred_at,
        "submitted_at": lead.submitted_at,
        "rejected_at": event.occurred_at,
        "correlation_id": event.correlation_id,
        "recorded_at": now,
    }


async def record_rejections(
    session: AsyncSession, events: Sequence[LeadRejected], *, now: datetime
) -> int:
    """Store the events not stored yet (a redelivery is ignored); return how many were new."""
    unique = {event.event_id: event for event in events}
    return await repository.insert_new(
        session, [rejection_values(event, now=now) for event in unique.values()]
    )
