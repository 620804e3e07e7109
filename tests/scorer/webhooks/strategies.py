"""Hypothesis strategies for webhook bodies: arbitrary JSON, bytes and forms, and the
platforms' documented payloads (``tests/fixtures/platforms``) with one part replaced."""

import json
from typing import Any
from urllib.parse import urlencode

from hypothesis import strategies as st

from tests.support.corpus import all_cases

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


def documented(source: str) -> list[Any]:
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
    documents = documented(source)
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
