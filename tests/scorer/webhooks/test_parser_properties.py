"""Every platform parser, on any body: a lead that maps to a valid ``LeadReceived``, or
one typed refusal, ``UnmappablePayload`` (authentic but not mappable: quarantine's
to keep) or ``MalformedBody`` (not JSON or not a form at all), never another exception.

Bodies are arbitrary JSON or bytes, and the platforms' documented payloads
(``tests/fixtures/platforms``) with one part replaced by arbitrary JSON, so that the
search reaches deep into each shape. Example counts are bounded to keep this tier fast.
"""

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

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
from tests.support.corpus import all_cases

NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
# LEADROUTER_PARSER_EXAMPLES=5000 for a longer search than the test tier's.
EXAMPLES = settings(
    max_examples=int(os.environ.get("LEADROUTER_PARSER_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Field names the parsers look for, so that generated objects hit them.
NAMES = [
    *("lead_id", "google_key", "Google_key", "is_test", "user_column_data", "column_id"),
    *("column_name", "string_value", "form_id", "campaign_id", "lead_submit_time"),
    *("object", "entry", "changes", "field", "value", "leadgen_id", "field_data", "values"),
    *("name", "custom_disclaimer_responses", "checkbox_key", "is_checked", "created_time"),
    *("vid", "canonical-vid", "objectId", "id", "hs_object_id", "properties", "email"),
    *("firstname", "form-submissions", "timestamp", "associated-company", "company"),
    *("event_id", "event_type", "form_response", "token", "submitted_at", "answers"),
    *("definition", "fields", "type", "ref", "hidden", "variables", "calculated"),
    *("contact", "external_id", "country", "phone", "employees", "numemployees"),
]


def json_values(*, finite: bool = False) -> st.SearchStrategy[Any]:
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**70), max_value=2**70)
        | st.floats(allow_nan=not finite, allow_infinity=not finite)
        | st.text(max_size=30)
        | st.sampled_from(["form_response", "leadgen", "page", "2018-01-18T18:17:02Z", "1"])
    )
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.sampled_from(NAMES) | st.text(max_size=12), children, max_size=5)
        ),
        max_leaves=25,
    )


# Bodies may hold NaN and Infinity (Python's parser takes them; refused as not JSON).
# The Graph API's answer, parsed by the gateway, is the JSON Meta sends.
JSON_VALUES = json_values()
GRAPH_VALUES = json_values(finite=True)


def _documented(source: str) -> list[Any]:
    """The corpus' JSON bodies of ``source`` (and Meta's Graph API leads)."""
    found: list[Any] = []
    for case in all_cases():
        if case.source == source and case.content_type == "application/json":
            found.append(json.loads(case.body))
        if source == "facebook-graph":
            found.extend(case.graph.values())
    return found


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            paths.extend(_paths(item, (*path, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            paths.extend(_paths(item, (*path, index)))
    return paths


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, *rest = path
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _replaced(copy[head], tuple(rest), new)
    return copy


@st.composite
def mutated(
    draw: st.DrawFn, documents: list[Any], values: st.SearchStrategy[Any] = JSON_VALUES
) -> Any:
    """A documented payload with one part (a value, an object, a list) replaced."""
    document = draw(st.sampled_from(documents))
    paths = _paths(document)
    path = draw(st.sampled_from(paths))
    return _replaced(document, path, draw(values))


def json_bodies(source: str) -> st.SearchStrategy[bytes]:
    documents = _documented(source)
    shaped = mutated(documents) if documents else JSON_VALUES
    return st.one_of(
        st.binary(max_size=64),
        JSON_VALUES.map(lambda v: json.dumps(v).encode()),
        shaped.map(lambda v: json.dumps(v).encode()),
    )


FORM_NAMES = [
    *("type", "fired_at", "data[id]", "data[list_id]", "data[email]", "data[ip_opt]"),
    *("data[merges][FNAME]", "data[merges][GROUPINGS][0][groups]", "data[merges][X]"),
    *("page_id", "page_url", "page_name", "variant", "data.json", "data.xml"),
]


def form_bodies() -> st.SearchStrategy[bytes]:
    data_json = JSON_VALUES.map(json.dumps) | st.text(max_size=40)
    pairs = st.lists(
        st.tuples(st.sampled_from(FORM_NAMES) | st.text(max_size=10), data_json), max_size=8
    )
    subscribe = pairs.map(lambda p: [("type", "subscribe"), *p])
    return st.one_of(
        st.binary(max_size=64),
        pairs.map(lambda p: urlencode(p).encode()),
        subscribe.map(lambda p: urlencode(p).encode()),
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
@given(json_bodies("facebook"), mutated(_documented("facebook-graph"), GRAPH_VALUES) | GRAPH_VALUES)
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
