"""The webhook-to-CRM time: observed once per assignment, at the CRM's first
acknowledgement. A lost answer observes nothing, the retry observes once, a
redelivery of an acknowledged assignment none, a re-routing (a new assignment) again.
HubSpot is played by the CRM simulator, which can store the notes and lose the answer.
"""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry

from leadrouter_crm_simulator.app import create_app as create_crm
from leadrouter_crm_simulator.crms import CrmState
from leadrouter_router.crm.client import CrmDeliverer, create_http_client
from leadrouter_router.crm.metrics import DeliveryMetrics
from leadrouter_router.platform.outbox import RetryableDeliveryError
from leadrouter_schemas import LeadAssigned, LeadAssignedData, Salesperson
from tests.router.crm.support import HUBSPOT_TOKEN, arm_fault, hubspot, message
from tests.support import samples
from tests.support.servers import serving

WEBHOOK_AT = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def assigned(*, lead_id: uuid.UUID, received_at: datetime | None) -> LeadAssigned:
    return LeadAssigned(
        **samples.envelope(),
        data=LeadAssignedData(
            lead_id=lead_id,
            lead_key="email:ada@example.com",
            lead=samples.lead(received_at=received_at),
            assignment_id=uuid.uuid4(),
            campaign_id="spring-demo",
            salesperson=Salesperson(
                id=uuid.uuid4(), name="Jonas", email="jonas@example.com", crm_user_id="77"
            ),
            score=samples.score(),
            reason="rule 'all': Jonas in pool demo",
            assigned_at=WEBHOOK_AT,
        ),
    )


async def test_each_assignment_is_timed_once_from_the_webhook_to_the_crms_first_answer() -> None:
    state = CrmState()
    registry = CollectorRegistry()
    clock = iter(WEBHOOK_AT + timedelta(seconds=s) for s in (40, 50, 60, 70))

    def count() -> float | None:
        return registry.get_sample_value(
            "router_lead_webhook_to_crm_seconds_count", {"crm": "hubspot"}
        )

    def total() -> float | None:
        return registry.get_sample_value(
            "router_lead_webhook_to_crm_seconds_sum", {"crm": "hubspot"}
        )

    async with serving(create_crm(crm_token=HUBSPOT_TOKEN, crms=state)) as base_url:
        await arm_fault(
            base_url, kind="lost_answer", status=502, count=1, path="notes/batch/create"
        )
        crm = hubspot(base_url)
        async with create_http_client(crm) as client:
            deliver = CrmDeliverer(
                crm, client, metrics=DeliveryMetrics(registry), clock=lambda: next(clock)
            )
            assert count() == 0  # exported before the first delivery
            lead_id = uuid.uuid4()
            first = message(assigned(lead_id=lead_id, received_at=WEBHOOK_AT))

            with pytest.raises(RetryableDeliveryError):
                await deliver(first)  # the CRM stored the note, its answer was lost
            assert count() == 0

            await deliver(first)  # the retry finds the note: the first acknowledgement
            assert (count(), total()) == (1, 40)

            await deliver(first)  # delivered again (its success was not recorded in time)
            assert (count(), total()) == (1, 40)

            rerouted = message(assigned(lead_id=lead_id, received_at=WEBHOOK_AT))
            await deliver(rerouted)  # a new assignment of the same lead
            assert (count(), total()) == (2, 90)

            await deliver(message(assigned(lead_id=uuid.uuid4(), received_at=None)))
            assert count() == 2  # no webhook, nothing to time

    assert len(state.notes) == 3


def test_the_bucket_bounds_reach_from_seconds_to_an_hour() -> None:
    registry = CollectorRegistry()
    metrics = DeliveryMetrics(registry)
    metrics.reached_crm("generic", 0.4)
    metrics.reached_crm("generic", 1800)
    bucket = "router_lead_webhook_to_crm_seconds_bucket"

    def below(bound: str) -> float | None:
        return registry.get_sample_value(bucket, {"crm": "generic", "le": bound})

    assert (below("0.25"), below("0.5"), below("600.0"), below("1800.0")) == (0, 1, 1, 2)
