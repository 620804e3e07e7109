"""LinkedIn Lead Gen Forms: the notification, its signature, the endpoint validation
and the mapping of a lead form response, with the samples of
https://learn.microsoft.com/en-us/linkedin/marketing/lead-sync/leadsync (the corpus
folder ``tests/fixtures/platforms/linkedin``; sources in its SOURCES.md)."""

import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from leadrouter_runtime.problems import MalformedBody
from leadrouter_schemas import Lead
from leadrouter_scorer.webhooks import signatures
from leadrouter_scorer.webhooks.platforms import linkedin
from leadrouter_scorer.webhooks.problems import UnmappablePayload
from leadrouter_scorer.webhooks.service import received_event
from tests.scorer.webhooks.conftest import SECRET
from tests.support.properties import examples

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "platforms" / "linkedin"
CREATED = (CORPUS / "lead-created-sponsored" / "body.json").read_bytes()
DELETED = (CORPUS / "lead-deleted-event" / "body.json").read_bytes()
RESPONSE: dict[str, Any] = json.loads(
    (CORPUS / "lead-created-sponsored" / "api" / "leadFormResponse.json").read_text()
)
FORM: dict[str, Any] = json.loads(
    (CORPUS / "lead-created-sponsored" / "api" / "leadForm.json").read_text()
)
SECRETS = [SecretStr("client-secret")]


def _hex(message: bytes, secret: str = "client-secret") -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def test_the_signature_is_read_both_ways_the_documentation_says_and_needs_the_secret() -> None:
    prefixed = _hex(b"hmacsha256=" + CREATED)  # the digest of the prefixed body
    labelled = "hmacsha256=" + _hex(CREATED)  # the digest of the body, labelled
    valid = signatures.linkedin_signature_valid
    assert valid(prefixed, CREATED, SECRETS)
    assert valid(labelled, CREATED, SECRETS)
    assert valid(prefixed.upper(), CREATED, SECRETS)
    assert not valid(_hex(b"hmacsha256=" + CREATED, "other"), CREATED, SECRETS)
    assert not valid(prefixed, CREATED + b" ", SECRETS)
    assert not valid(prefixed, CREATED, [])
    for garbage in (None, "", "hmacsha256=", "not-hex", "hmacsha256=zz"):
        assert not valid(garbage, CREATED, SECRETS)


def test_the_challenge_response_is_the_hex_hmac_of_the_code() -> None:
    code = "890e4665-4dfe-4ab1-b689-ed553bceeed4"
    answer = signatures.linkedin_challenge_response(code, SecretStr("client-secret"))
    assert answer == _hex(code.encode())


def test_the_documented_lead_maps_by_predefined_field() -> None:
    lead = linkedin.notification(CREATED)
    assert (lead.response_id, lead.form_id, lead.lead_action) == ("1a2b3c-4", "1", "CREATED")
    submission = linkedin.submission(lead, RESPONSE, FORM)
    assert (submission.delivery_id, submission.external_id) == ("1a2b3c-4", "1a2b3c-4")
    assert submission.draft.contact == {"email": "test1@gmail.com", "first_name": "Test 1"}
    assert submission.draft.company == {"name": "Test 1"}
    assert submission.draft.answers == {"testLead": "true"}
    assert submission.draft.attribution == {
        "utm_source": "linkedin",
        "utm_campaign": "urn:li:sponsoredCampaign:32131231",
    }
    assert submission.submitted_at is not None
    assert submission.submitted_at.year == 2024  # submittedAt 1706741502694 (ms)
    assert submission.raw["webhook"]["leadGenFormResponse"] == (
        "urn:li:leadGenFormResponse:1a2b3c-4"
    )
    event = received_event(
        "linkedin",
        submission,
        campaign_id="linkedin-campaign",
        correlation_id="c-1",
        now=submission.submitted_at,
    )
    assert isinstance(event.data.lead, Lead)
    assert event.data.lead.lead_key == "linkedin:1a2b3c-4"


def _text(answer: str) -> dict[str, Any]:
    return {"textQuestionAnswer": {"answer": answer}}


def test_without_the_form_answers_keep_their_own_names_and_accepted_is_read() -> None:
    response = {
        "formResponse": {
            "answers": [
                {"questionId": 1, "name": "firstName", "accepted": _text("John")},
                {"questionId": 2, "name": "email", "accepted": _text("j@x.io")},
                {"questionId": 3, "answerDetails": {"multipleChoiceAnswer": {"options": [1, 3]}}},
            ],
            "consentResponses": [{"consentId": 1, "accepted": True}],
        }
    }
    submission = linkedin.submission(linkedin.notification(CREATED), response, None)
    assert submission.draft.contact == {"first_name": "John", "email": "j@x.io"}
    assert submission.draft.answers == {"question 3": "1, 3"}
    assert submission.draft.consent is not None
    assert submission.draft.consent["given"] is True


@pytest.mark.parametrize(
    "body", [b"{}", b'{"type": "LEAD_ACTION"}', b'{"leadGenFormResponse": []}']
)
def test_a_notification_without_a_lead_is_unmappable(body: bytes) -> None:
    with pytest.raises(UnmappablePayload):
        linkedin.notification(body)


def test_a_deleted_lead_is_read_and_a_response_without_answers_is_unmappable() -> None:
    assert linkedin.notification(DELETED).lead_action == "DELETED"
    with pytest.raises(UnmappablePayload) as raised:
        linkedin.submission(linkedin.notification(CREATED), {"id": "x"}, FORM)
    assert "formResponse.answers" in str(raised.value.errors)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
NOTIFICATION_KEYS = st.sampled_from(
    ["type", "leadGenFormResponse", "leadGenForm", "leadAction", "occurredAt", "owner"]
)


@examples(300)
@given(
    st.binary(max_size=200)
    | st.dictionaries(NOTIFICATION_KEYS | st.text(), JSON_VALUES, max_size=6).map(
        lambda d: json.dumps(d).encode()
    )
)
def test_any_notification_body_is_read_or_unmappable_never_another_error(body: bytes) -> None:
    try:
        lead = linkedin.notification(body)
        assert lead.response_id
    except (UnmappablePayload, MalformedBody):
        pass


def _text_of_any(value: Any) -> dict[str, Any]:
    return {"textQuestionAnswer": {"answer": value}}


ANSWER = st.fixed_dictionaries(
    {},
    optional={
        "questionId": JSON_VALUES,
        "name": JSON_VALUES,
        "answerDetails": JSON_VALUES | JSON_VALUES.map(_text_of_any),
        "accepted": JSON_VALUES,
    },
)


@examples(300)
@given(
    response=st.dictionaries(st.text(), JSON_VALUES, max_size=3)
    | st.fixed_dictionaries(
        {"formResponse": st.fixed_dictionaries({"answers": st.lists(ANSWER | JSON_VALUES)})},
        optional={"submittedAt": JSON_VALUES, "leadMetadata": JSON_VALUES, "testLead": JSON_VALUES},
    ),
    form=st.none() | st.dictionaries(st.text(), JSON_VALUES, max_size=3),
)
def test_any_api_answer_maps_to_a_lead_or_is_unmappable_never_another_error(
    response: dict[str, Any], form: dict[str, Any] | None
) -> None:
    lead = linkedin.notification(CREATED)
    try:
        submission = linkedin.submission(lead, response, form)
    except UnmappablePayload:
        return
    received_event(
        "linkedin",
        submission,
        campaign_id="linkedin-campaign",
        correlation_id="c-1",
        now=submission.submitted_at or datetime.now(UTC),
    )


async def test_the_validation_get_answers_the_challenge_and_a_forged_post_is_refused(
    scorer: httpx.AsyncClient,
) -> None:
    code = "890e4665-4dfe-4ab1-b689-ed553bceeed4"
    answer = await scorer.get("/v1/webhooks/linkedin", params={"challengeCode": code})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "challengeCode": code,
        "challengeResponse": _hex(code.encode(), SECRET),
    }
    forged = await scorer.post(
        "/v1/webhooks/linkedin",
        content=CREATED,
        headers={"Content-Type": "application/json", "X-LI-Signature": _hex(CREATED, "forged")},
    )
    assert forged.status_code == 401
    assert forged.headers["content-type"] == "application/problem+json"
    deleted = await scorer.post(
        "/v1/webhooks/linkedin",
        content=DELETED,
        headers={
            "Content-Type": "application/json",
            "X-LI-Signature": _hex(b"hmacsha256=" + DELETED, SECRET),
        },
    )
    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == {"ignored": "leadAction DELETED"}
