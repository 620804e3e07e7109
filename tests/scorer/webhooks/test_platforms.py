"""Each platform's documented payload -> the normalised Lead (pure mapping)."""

from datetime import UTC, datetime
from typing import Any

import pytest

from leadrouter_runtime.problems import MalformedBody
from leadrouter_schemas import Lead
from leadrouter_scorer.webhooks.config import SourceSettings
from leadrouter_scorer.webhooks.platforms import (
    facebook,
    generic,
    google_ads,
    hubspot,
    mailchimp,
    typeform,
    unbounce,
)
from leadrouter_scorer.webhooks.platforms.common import Submission
from leadrouter_scorer.webhooks.platforms.forms import form_fields
from leadrouter_scorer.webhooks.problems import UnmappablePayload
from leadrouter_scorer.webhooks.service import campaign_of, event_id_for, received_event
from tests.scorer.webhooks.samples import as_json, fixture, fixture_json, unbounce_form

NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def lead_of(source: str, submission: Submission, campaign_id: str = "spring-demo") -> Lead:
    event = received_event(
        source, submission, campaign_id=campaign_id, correlation_id="corr-1", now=NOW
    )
    assert event.event_id == event_id_for(source, submission.delivery_id)
    return event.data.lead


def test_generic_keeps_its_contract() -> None:
    lead = lead_of("generic", generic.submission(fixture("generic.json")))
    assert lead.lead_key == "generic:resp-1"
    assert lead.contact.email == "Ada@Example.com"
    assert lead.raw == fixture_json("generic.json")
    assert lead.submitted_at == NOW


def test_hubspot_contact_maps_properties_consent_and_form() -> None:
    submission = hubspot.submission(fixture("hubspot_contact.json"))
    lead = lead_of("hubspot", submission)
    assert lead.lead_key == "hubspot:3234574"
    assert (lead.contact.first_name, lead.contact.last_name) == ("Ada", "Lovelace")
    assert (lead.contact.email, lead.contact.job_title, lead.contact.country) == (
        "ada@example.com",
        "CTO",
        "ES",
    )
    assert (lead.company.name, lead.company.domain, lead.company.industry) == (
        "Analytical Engines",
        "example.com",
        "Software",
    )
    # A range is not a head count: kept as said.
    assert lead.company.employees is None
    assert lead.answers["numemployees"] == "25-50"
    assert lead.answers["budget"] == "10k-50k"
    assert "hs_analytics_source" not in lead.answers
    assert lead.consent is not None
    assert lead.consent.given
    assert lead.form_id == "d6f1ca58-1b4e-4b3a-8f2a-5c4b0f6e7a12"
    assert lead.submitted_at == datetime.fromtimestamp(1484026585.538, UTC)
    assert lead.attribution.landing_page == "https://example.com/demo?utm_source=google"
    assert submission.delivery_id == "58b37f8a-9a1e-4d0b-b2d6-9c3f0d3e5f10"


def test_hubspot_reads_plain_property_values_and_object_id() -> None:
    body = as_json({"objectId": 42, "properties": {"email": "grace@example.com"}})
    submission = hubspot.submission(body)
    assert lead_of("hubspot", submission).lead_key == "hubspot:42"
    assert submission.delivery_id.startswith("sha256:")


def test_hubspot_without_a_contact_id_names_the_field() -> None:
    with pytest.raises(UnmappablePayload) as raised:
        hubspot.submission(as_json({"properties": {}}))
    assert raised.value.errors()[0]["loc"] == ("vid",)


def test_typeform_maps_answers_by_type_ref_and_title() -> None:
    submission = typeform.submission(fixture("typeform_form_response.json"))
    lead = lead_of("typeform", submission)
    assert lead.lead_key == "typeform:a3a12ec67a1365927098a606107fac15"
    assert submission.delivery_id == "LtWXD3crgy"
    assert (lead.contact.first_name, lead.contact.email, lead.contact.phone) == (
        "Ada",
        "ada@example.com",
        "+34600000000",
    )
    assert lead.company.name == "Analytical Engines"
    assert lead.answers == {
        "product": "Enterprise plan",
        "How many seats?": "40",
        "features": "Routing, Scoring",
        "budget": "yes",
        # Typeform's score is kept for the CRM, not dropped.
        "calculated.score": "9",
    }
    assert (lead.attribution.utm_source, lead.attribution.utm_campaign) == ("linkedin", "spring")
    assert lead.consent is not None
    assert lead.consent.given
    assert lead.consent.text == "I agree to be contacted about this request."
    assert lead.submitted_at == datetime(2018, 1, 18, 18, 17, 2, tzinfo=UTC)
    assert lead.form_id == "lT4Z3j"


def test_typeform_other_event_types_are_a_schema_violation() -> None:
    payload = fixture_json("typeform_form_response.json") | {"event_type": "form_partial"}
    with pytest.raises(UnmappablePayload) as raised:
        typeform.submission(as_json(payload))
    assert raised.value.errors()[0]["loc"] == ("event_type",)


def test_google_ads_maps_column_ids_and_drops_the_key() -> None:
    payload, raw = google_ads.parse(fixture("google_ads_lead.json"))
    assert payload.google_key == "secret-google-key"
    submission = google_ads.submission(payload, raw)
    lead = lead_of("google-ads", submission)
    assert lead.lead_key == f"google-ads:{payload.lead_id}"
    assert (lead.contact.first_name, lead.contact.last_name) == ("Ada", "Lovelace")
    assert (lead.contact.email, lead.contact.phone, lead.contact.job_title) == (
        "ada@example.com",
        "+34600000000",
        "CTO",
    )
    assert (lead.contact.country, lead.contact.postal_code) == ("ES", "28001")
    assert lead.company.name == "Analytical Engines"
    assert lead.answers == {"How soon do you want to buy?": "This quarter", "is_test": "true"}
    assert (lead.form_id, submission.platform_campaign_id) == ("40000000000", "12345678901")
    assert lead.attribution.utm_campaign == "12345678901"
    assert "google_key" not in lead.raw


def test_facebook_lead_maps_field_data_and_disclaimers() -> None:
    (change,) = facebook.leadgen_changes(fixture("facebook_leadgen_webhook.json"))
    assert change.leadgen_id == "123123123123"
    lead = lead_of(
        "facebook", facebook.submission(change, fixture_json("facebook_graph_lead.json"))
    )
    assert lead.lead_key == "facebook:123123123123"
    assert (lead.contact.first_name, lead.contact.last_name, lead.contact.email) == (
        "Ada",
        "Lovelace",
        "ada@example.com",
    )
    assert (lead.company.name, lead.contact.job_title) == ("Analytical Engines", "CTO")
    # Each checkbox is kept as answered, besides the consent it makes.
    assert lead.answers == {"car_make": "Honda", "marketing_opt_in": "checked"}
    assert lead.consent is not None
    assert lead.consent.given
    assert lead.submitted_at == datetime(2015, 2, 28, 8, 49, 14, tzinfo=UTC)
    assert lead.form_id == "456456456456"
    assert lead.raw["lead"] == fixture_json("facebook_graph_lead.json")


def test_facebook_skips_changes_of_other_fields() -> None:
    payload: dict[str, Any] = {
        "object": "page",
        "entry": [{"id": "1", "changes": [{"field": "feed", "value": {"item": "post"}}]}],
    }
    assert facebook.leadgen_changes(as_json(payload)) == []


def test_unbounce_reads_data_json_and_the_page() -> None:
    body = unbounce_form(fixture_json("unbounce_data.json"))
    submission = unbounce.submission(body)
    lead = lead_of("unbounce", submission)
    assert lead.lead_key == "email:ada@example.com"
    assert lead.external_id is None
    assert (lead.contact.first_name, lead.company.name) == ("Ada", "Analytical Engines")
    assert lead.answers == {"how_did_you_hear_about_us": "A friend", "gdpr_consent": "I agree"}
    assert lead.attribution.utm_source == "newsletter"
    assert lead.attribution.landing_page == "https://unbouncepages.com/spring-demo/"
    assert lead.consent is not None
    assert (lead.consent.given, lead.consent.ip) == (True, "192.0.2.10")
    assert lead.form_id == "3e7b2e5c-page"
    # The same answers again are the same delivery.
    assert unbounce.submission(body).delivery_id == submission.delivery_id


def test_unbounce_without_data_json_names_it_and_bad_json_is_unreadable() -> None:
    with pytest.raises(UnmappablePayload) as raised:
        unbounce.submission(b"page_id=1")
    assert raised.value.errors()[0]["loc"] == ("data.json",)
    with pytest.raises(MalformedBody):
        unbounce.submission(b"page_id=1&data.json=%7Bnope")


def test_mailchimp_subscribe_is_a_lead_with_its_opt_in() -> None:
    fields = form_fields(fixture("mailchimp_subscribe.txt"))
    assert mailchimp.event_type(fields) == "subscribe"
    lead = lead_of("mailchimp", mailchimp.submission(fields))
    assert lead.lead_key == "mailchimp:8a25ff1d98"
    assert (lead.contact.email, lead.contact.first_name, lead.contact.last_name) == (
        "api@mailchimp.com",
        "Mailchimp",
        "API",
    )
    assert lead.answers == {"INTERESTS": "Group1,Group2"}
    assert lead.consent is not None
    assert (lead.consent.given, lead.consent.ip) == (True, "10.20.10.30")
    assert lead.submitted_at == datetime(2009, 3, 26, 21, 35, 57, tzinfo=UTC)
    assert lead.form_id == "a6b5da1054"


def test_a_value_the_lead_schema_refuses_is_named() -> None:
    submission = generic.submission(fixture("generic.json"))
    submission.draft.contact["email"] = "x" * 400
    with pytest.raises(UnmappablePayload) as raised:
        lead_of("generic", submission)
    assert raised.value.errors()[0]["loc"] == ("contact", "email")


def test_campaign_comes_from_payload_url_mapping_then_default() -> None:
    submission = typeform.submission(fixture("typeform_form_response.json"))
    mapped = SourceSettings(campaigns={"lT4Z3j": "mapped"}, default_campaign_id="fallback")
    assert campaign_of(submission, requested="from-url", settings=mapped) == "from-url"
    assert campaign_of(submission, requested=None, settings=mapped) == "mapped"
    default = SourceSettings(default_campaign_id="fallback")
    assert campaign_of(submission, requested=None, settings=default) == "fallback"
    with pytest.raises(UnmappablePayload) as raised:
        campaign_of(submission, requested=None, settings=SourceSettings())
    assert raised.value.errors()[0]["loc"] == ("campaign_id",)


def test_event_id_is_the_same_for_the_same_delivery_only() -> None:
    assert event_id_for("typeform", "LtWXD3crgy") == event_id_for("typeform", "LtWXD3crgy")
    assert event_id_for("typeform", "LtWXD3crgy") != event_id_for("hubspot", "LtWXD3crgy")


# Issue 11: the shapes the platforms' documentation shows (corpus in tests/fixtures/platforms).


def test_google_ads_test_data_key_is_read_under_any_capitalisation() -> None:
    body = as_json({"lead_id": "L1", "Google_key": "k", "is_test": True, "form_id": 1})
    payload, raw = google_ads.parse(body)
    assert payload.google_key == "k"
    lead = lead_of("google-ads", google_ads.submission(payload, raw))
    assert "Google_key" not in lead.raw
    assert lead.answers == {"is_test": "true"}
    assert lead.form_id == "1"


def test_google_ads_lead_submit_time_is_when_it_was_submitted() -> None:
    body = as_json({"lead_id": "L1", "lead_submit_time": "2024-09-26T12:30:00Z"})
    payload, raw = google_ads.parse(body)
    submission = google_ads.submission(payload, raw)
    assert submission.submitted_at == datetime(2024, 9, 26, 12, 30, tzinfo=UTC)


def test_facebook_ids_as_json_numbers_are_read_as_text_once_each() -> None:
    change = {"leadgen_id": 123123123123, "form_id": 12312312312, "ad_id": 12312312312}
    payload = {
        "object": "page",
        "entry": [
            {"id": 153125381133, "changes": [{"field": "leadgen", "value": change}] * 2},
            {"id": 153125381133, "changes": [{"field": "leadgen", "value": change}]},
        ],
    }
    (found,) = facebook.leadgen_changes(as_json(payload))
    assert (found.leadgen_id, found.form_id, found.ad_id) == (
        "123123123123",
        "12312312312",
        "12312312312",
    )


def test_facebook_keeps_the_graph_lead_s_other_fields() -> None:
    (change,) = facebook.leadgen_changes(fixture("facebook_leadgen_webhook.json"))
    graph = fixture_json("facebook_graph_lead.json") | {
        "campaign_id": "777",
        "campaign_name": "Spring",
        "platform": "ig",
        "is_organic": False,
        "custom_disclaimer_responses": [
            {"checkbox_key": "optional_1", "is_checked": "1"},
            {"checkbox_key": "optional_2", "is_checked": ""},
        ],
    }
    submission = facebook.submission(change, graph)
    lead = lead_of("facebook", submission)
    assert lead.answers == {
        "car_make": "Honda",
        "optional_1": "checked",
        "optional_2": "not checked",
        "campaign_name": "Spring",
        "platform": "ig",
        "is_organic": "false",
    }
    assert lead.consent is not None
    assert not lead.consent.given
    assert submission.platform_campaign_id == "777"


def test_hubspot_flat_body_with_hs_object_id_is_a_contact() -> None:
    body = as_json(
        {
            "hs_object_id": 51,
            "email": "grace@example.com",
            "firstname": "Grace",
            "company": "Hopper Systems",
            "budget": "10k",
        }
    )
    lead = lead_of("hubspot", hubspot.submission(body))
    assert lead.lead_key == "hubspot:51"
    assert (lead.contact.email, lead.contact.first_name) == ("grace@example.com", "Grace")
    assert lead.company.name == "Hopper Systems"
    assert lead.answers == {"budget": "10k"}


def test_hubspot_vid_with_flat_properties_keeps_the_contact() -> None:
    body = as_json({"vid": 7, "email": "grace@example.com", "lastname": "Hopper"})
    lead = lead_of("hubspot", hubspot.submission(body))
    assert (lead.lead_key, lead.contact.email, lead.contact.last_name) == (
        "hubspot:7",
        "grace@example.com",
        "Hopper",
    )


def test_hubspot_crm_object_and_associated_company() -> None:
    v3 = {"id": "100451", "properties": {"email": "t@hubspot.com", "hs_object_id": "100451"}}
    assert lead_of("hubspot", hubspot.submission(as_json(v3))).lead_key == "hubspot:100451"
    legacy = {
        "vid": 3,
        "properties": {"email": {"value": "a@example.com"}},
        "associated-company": {"company-id": 9, "properties": {"name": {"value": "HubSpot"}}},
    }
    assert lead_of("hubspot", hubspot.submission(as_json(legacy))).company.name == "HubSpot"


def test_typeform_contact_info_block_fills_the_contact() -> None:
    payload = fixture_json("typeform_form_response.json")
    response = payload["form_response"]
    response["definition"]["fields"] = [
        {
            "id": "block",
            "type": "contact_info",
            "title": "How can we reach you?",
            "properties": {
                "fields": [
                    {"id": "fn", "type": "short_text", "subfield_key": "first_name"},
                    {"id": "ln", "type": "short_text", "subfield_key": "last_name"},
                    {"id": "co", "type": "short_text", "subfield_key": "company"},
                ]
            },
        }
    ]
    response["answers"] = [
        {"type": "text", "text": "Grace", "field": {"id": "fn", "type": "short_text"}},
        {"type": "text", "text": "Hopper", "field": {"id": "ln", "type": "short_text"}},
        {"type": "text", "text": "Navy", "field": {"id": "co", "type": "short_text"}},
    ]
    lead = lead_of("typeform", typeform.submission(as_json(payload)))
    assert (lead.contact.first_name, lead.contact.last_name) == ("Grace", "Hopper")
    assert lead.company.name == "Navy"


def test_a_platform_value_its_field_refuses_becomes_an_answer() -> None:
    submission = typeform.submission(fixture("typeform_form_response.json"))
    submission.draft.contact["phone"] = "9" * 100
    lead = lead_of("typeform", submission)
    assert lead.contact.phone is None
    assert lead.answers["contact.phone"] == "9" * 100
