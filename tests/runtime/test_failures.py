"""Dead-letter reasons name the error by its type and location, never by input bytes
(they travel in headers to the ops page, the CLI and other teams' tools)."""

import json

import pytest
from pydantic import ValidationError

from leadrouter_runtime import failures
from leadrouter_schemas import LeadReceived, LeadScored, encode
from tests.support.samples import received

SECRET = "ada.lovelace+private@example.com"


def invalid(raw: bytes, model: type[LeadReceived] | type[LeadScored]) -> failures.Failure:
    with pytest.raises(ValidationError) as caught:
        model.model_validate_json(raw)
    return failures.invalid(caught.value, model=model, expected=failures.model_name(model))


def said(failure: failures.Failure) -> str:
    return " ".join((failure.error_type, failure.location, failure.reason))


def test_a_field_error_gives_its_type_and_path_without_the_value() -> None:
    body = json.loads(encode(received(SECRET)))
    body["data"]["lead"]["contact"]["email"] = SECRET * 20  # longer than 320 characters
    failure = invalid(json.dumps(body).encode(), LeadReceived)
    assert failure.error_type == "string_too_long"
    assert failure.location == "data.lead.contact.email"
    assert failure.reason == ("not a LeadReceived v1: string_too_long at data.lead.contact.email")
    assert "ada" not in said(failure)


def test_a_key_chosen_by_the_sender_shows_as_a_star() -> None:
    body = json.loads(encode(received()))
    body["data"]["lead"]["answers"] = {SECRET: 42}  # a dict key is input too
    failure = invalid(json.dumps(body).encode(), LeadReceived)
    assert (failure.error_type, failure.location) == ("string_type", "data.lead.answers.*")
    assert "ada" not in said(failure)


def test_malformed_json_gives_the_position_not_the_text() -> None:
    failure = invalid(b'{"email": "' + SECRET.encode() + b'" oops}', LeadScored)
    assert failure.error_type == "json_invalid"
    assert failure.location.startswith("line 1 column ")
    assert "ada" not in said(failure)


def test_many_errors_are_named_up_to_five() -> None:
    failure = invalid(b'{"type": "lead.scored"}', LeadScored)
    assert failure.reason.startswith("not a LeadScored v1: missing at occurred_at; ")
    assert failure.reason.count(" at ") <= failures.MAX_ERRORS_NAMED


def test_a_crash_gives_the_exception_class_and_our_line_of_code() -> None:
    def score() -> None:
        raise ValueError(f"cannot score {SECRET}")

    try:
        score()
    except ValueError as error:
        failure = failures.crashed(error, doing="scoring")
    assert failure.error_type == "ValueError"
    # This test module is not ours in the sense of leadrouter_*: no line is named.
    assert failure.location == failures.NO_LOCATION
    assert failure.reason == "scoring failed: ValueError at -"
    assert "ada" not in said(failure)


def test_a_crash_inside_a_leadrouter_module_names_that_module_and_line() -> None:
    try:
        failures.field_names(int)  # not a model: it raises inside
    except AttributeError as error:
        failure = failures.crashed(error, doing="decoding")
    assert failure.error_type == "AttributeError"
    module, line = failure.location.split(":")
    assert module == "leadrouter_runtime.failures"
    assert int(line) > 0


def test_a_tombstone_is_named_as_such() -> None:
    failure = failures.tombstone(expected="LeadScored v1")
    assert (failure.error_type, failure.location) == ("tombstone", "-")
