"""Every platform parser, on any body: a lead that maps to a valid ``LeadReceived``, or
one typed refusal, ``UnmappablePayload`` (authentic but not mappable: quarantine's
to keep) or ``MalformedBody`` (not JSON or not a form at all), never another exception.

Bodies are arbitrary JSON or bytes, and the platforms' documented payloads
(``tests/fixtures/platforms``) with one part replaced by arbitrary JSON, so that the
search reaches deep into each shape. Example counts are bounded to keep this tier fast.
"""

import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, event, example, given

from leadrouter_runtime.problems import MalformedBody
from leadrouter_schemas import LeadReceived
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
from leadrouter_scorer.webhooks.service import received_event
from tests.scorer.webhooks.strategies import (
    GRAPH_VALUES,
    documented,
    form_bodies,
    json_bodies,
    mutated,
)
from tests.support.properties import examples

NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
# LEADROUTER_PARSER_EXAMPLES=5000 for a longer search than the test tier's.
EXAMPLES = examples(
    int(os.environ.get("LEADROUTER_PARSER_EXAMPLES", "150")),
    suppress_health_check=[HealthCheck.too_slow],
)


def _maps_or_refuses(source: str, parse: Callable[[], list[Submission]]) -> None:
    try:
        submissions = parse()
        events = [
            received_event(source, sub, campaign_id="c", correlation_id="p", now=NOW)
            for sub in submissions
        ]
    except (UnmappablePayload, MalformedBody) as error:
        event(f"refused: {type(error).__name__}")
        return
    event(f"mapped: {len(events)} lead(s)")
    for received in events:
        assert received.data.lead.source == source
        # What the event carries can be written and read back (it goes to Kafka).
        assert LeadReceived.model_validate_json(received.model_dump_json()) == received


@EXAMPLES
@given(json_bodies("generic"))
def test_generic_maps_or_refuses_any_body(body: bytes) -> None:
    _maps_or_refuses("generic", lambda: [generic.submission(body)])


@EXAMPLES
@given(json_bodies("hubspot"))
@example(b'{"id": false, "form-submissions": 1}')  # found by this search: was a TypeError
def test_hubspot_maps_or_refuses_any_body(body: bytes) -> None:
    _maps_or_refuses("hubspot", lambda: [hubspot.submission(body)])


@EXAMPLES
@given(json_bodies("typeform"))
def test_typeform_maps_or_refuses_any_body(body: bytes) -> None:
    _maps_or_refuses("typeform", lambda: [typeform.submission(body)])


@EXAMPLES
@given(json_bodies("google-ads"))
def test_google_ads_maps_or_refuses_any_body(body: bytes) -> None:
    def parse() -> list[Submission]:
        lead, raw = google_ads.parse(body)
        return [google_ads.submission(lead, raw)]

    _maps_or_refuses("google-ads", parse)


@EXAMPLES
@given(json_bodies("facebook"), mutated(documented("facebook-graph"), GRAPH_VALUES) | GRAPH_VALUES)
def test_facebook_maps_or_refuses_any_notification_and_graph_lead(
    body: bytes, graph_lead: Any
) -> None:
    def parse() -> list[Submission]:
        changes = facebook.leadgen_changes(body)
        # The gateway hands the parser the Graph API's JSON object (anything else is a 503).
        lead = graph_lead if isinstance(graph_lead, dict) else {"value": graph_lead}
        return [facebook.submission(change, lead) for change in changes]

    _maps_or_refuses("facebook", parse)


@EXAMPLES
@given(form_bodies())
def test_unbounce_maps_or_refuses_any_form(body: bytes) -> None:
    _maps_or_refuses("unbounce", lambda: [unbounce.submission(body)])


@EXAMPLES
@given(form_bodies())
def test_mailchimp_maps_or_refuses_any_form(body: bytes) -> None:
    def parse() -> list[Submission]:
        fields = form_fields(body)
        return [mailchimp.submission(fields)] if mailchimp.event_type(fields) == "subscribe" else []

    _maps_or_refuses("mailchimp", parse)
