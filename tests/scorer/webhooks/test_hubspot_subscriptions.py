"""HubSpot Webhooks API subscription batches: the documented example batch
(``tests/fixtures/platforms/hubspot/webhooks-api-batch``, sources in SOURCES.md), each
contact read through the CRM API, one lead per contact."""

import json
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadrouter_runtime.problems import MalformedBody
from leadrouter_schemas import LeadReceived, decode_as, topics
from leadrouter_scorer.webhooks.platforms import hubspot_subscriptions as subscriptions
from leadrouter_scorer.webhooks.problems import UnmappablePayload
from tests.scorer.webhooks.conftest import HUBSPOT_CONTACTS, SECRET, FakeGraph
from tests.scorer.webhooks.samples import post_hubspot
from tests.support.corpus import CORPUS
from tests.support.kafka import read_all
from tests.support.properties import examples

BATCH = (CORPUS / "hubspot" / "webhooks-api-batch" / "body.json").read_bytes()


def _event(kind: str, object_id: int, **more: Any) -> dict[str, Any]:
    return {
        "eventId": 1,
        "subscriptionId": 22,
        "portalId": 33,
        "appId": 1160452,
        "occurredAt": 1462216307945,
        "subscriptionType": kind,
        "attemptNumber": 0,
        "objectId": object_id,
        "changeSource": "CRM",
        **more,
    }


def test_the_documented_batch_names_two_contacts_once_each() -> None:
    assert subscriptions.is_batch(BATCH)
    events = subscriptions.events_of(BATCH)
    assert subscriptions.contact_ids(events) == ["1246965", "1246978"]
    twice = [*events, _event("contact.propertyChange", 1246978, propertyName="phone")]
    assert subscriptions.contact_ids(twice) == ["1246965", "1246978"]
    others = [_event("contact.deletion", 5), _event("company.creation", 6)]
    assert subscriptions.contact_ids(others) == []


def test_a_contact_maps_like_the_crm_object_with_the_contact_id_as_delivery() -> None:
    events = subscriptions.events_of(BATCH)
    found = subscriptions.submission("1246978", HUBSPOT_CONTACTS["1246978"], events)
    assert (found.delivery_id, found.external_id) == ("contact:1246978", "1246978")
    assert found.draft.contact == {
        "email": "bcooper@biglytics.net",
        "first_name": "Bryan",
        "last_name": "Cooper",
        "phone": "(877) 929-0687",
    }
    assert found.draft.company == {"name": "Biglytics", "domain": "biglytics.net"}
    assert [e["eventId"] for e in found.raw["events"]] == [3816279480]


@pytest.mark.parametrize("body", [b"[1]", b'[{"eventType": "contact.creation"}]', b"{}"])
def test_a_batch_that_names_no_contact_is_unmappable(body: bytes) -> None:
    with pytest.raises(UnmappablePayload):
        subscriptions.contact_ids(subscriptions.events_of(body))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
EVENT = st.fixed_dictionaries(
    {},
    optional={
        "subscriptionType": st.sampled_from(["contact.creation", "contact.propertyChange"])
        | JSON_VALUES,
        "eventType": JSON_VALUES,
        "objectId": JSON_VALUES,
    },
)


@examples(300)
@given(
    st.binary(max_size=200)
    | st.lists(EVENT | JSON_VALUES, max_size=5).map(lambda e: json.dumps(e).encode())
)
def test_any_batch_names_contacts_or_is_unmappable_never_another_error(body: bytes) -> None:
    try:
        found = subscriptions.contact_ids(subscriptions.events_of(body))
    except (UnmappablePayload, MalformedBody):
        return
    assert all(isinstance(object_id, str) and object_id for object_id in found)


@examples(200)
@given(st.dictionaries(st.text(), JSON_VALUES, max_size=5))
def test_any_crm_answer_maps_or_is_unmappable_never_another_error(
    contact: dict[str, Any],
) -> None:
    try:
        found = subscriptions.submission("7", contact, [])
    except UnmappablePayload:
        return
    assert found.delivery_id == "contact:7"


async def test_a_property_change_of_a_contact_sent_is_the_same_lead(
    scorer: httpx.AsyncClient, graph: FakeGraph, kafka: str, topic_prefix: str
) -> None:
    async def post(events: list[dict[str, Any]]) -> httpx.Response:
        url = str(scorer.base_url.join("/v1/webhooks/hubspot"))
        return await post_hubspot(scorer, url, json.dumps(events).encode(), secret=SECRET)

    created = await post([_event("contact.creation", 1246978)])
    changed = await post([_event("contact.propertyChange", 1246978, propertyName="phone")])
    deleted = await post([_event("contact.deletion", 1246978)])

    assert created.status_code == 202, created.text
    assert changed.status_code == 202, changed.text
    assert (created.json()["lead_key"], created.json()["duplicate"]) == ("hubspot:1246978", False)
    assert changed.json()["duplicate"] is True
    assert changed.json()["event_id"] == created.json()["event_id"]
    assert (deleted.status_code, deleted.json()) == (
        200,
        {"ignored": "no contact.creation or contact.propertyChange event"},
    )
    assert graph.requests == ["contact:1246978"]  # asked once
    (record,) = await read_all(kafka, topic_prefix + topics.LEADS_RECEIVED)
    lead = decode_as(record.value, LeadReceived).data.lead
    assert (lead.lead_key, lead.contact.email) == ("hubspot:1246978", "bcooper@biglytics.net")
