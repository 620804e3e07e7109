"""LinkedIn Lead Gen Forms (Lead Sync): the lead notification names the form response;
its answers come from LinkedIn's API
(https://learn.microsoft.com/en-us/linkedin/marketing/lead-sync/leadsync).

The notification (``type: LEAD_ACTION``) carries ``leadGenFormResponse`` (the lead's
URN), ``leadGenForm`` (the versioned form's URN), ``owner``, ``associatedEntity``,
``leadType``, ``leadAction`` (``CREATED`` or ``DELETED``) and ``occurredAt`` (epoch ms).
``GET /rest/leadFormResponses/{id}`` answers ``formResponse.answers``
(``[{questionId, answerDetails: {textQuestionAnswer: {answer}}}]``; older answers say
``accepted`` instead of ``answerDetails``) keyed by question id, so
``GET /rest/leadForms/{id}`` names each question (``name``, ``predefinedField`` such as
``FIRST_NAME``, ``EMAIL``, ``COMPANY_NAME``; the schema is
https://learn.microsoft.com/en-us/linkedin/marketing/lead-sync/lead-sync-schema).
"""

import re
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Query, Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

from leadrouter_scorer.webhooks import adapters, signatures
from leadrouter_scorer.webhooks.openapi import RESPONSES
from leadrouter_scorer.webhooks.platforms.common import (
    LeadDraft,
    Submission,
    answer_text,
    json_object,
    missing,
    text_of,
    validated,
)
from leadrouter_scorer.webhooks.problems import Forbidden
from leadrouter_scorer.webhooks.quarantine import Delivery
from leadrouter_scorer.webhooks.schemas import Ignored

Text = Annotated[str | None, BeforeValidator(text_of)]

# LinkedIn's predefined fields -> the form field names our mapping knows (common.py).
PREDEFINED: dict[str, str] = {
    "FIRST_NAME": "first_name",
    "LAST_NAME": "last_name",
    "EMAIL": "email",
    "WORK_EMAIL": "email",
    "PHONE_NUMBER": "phone",
    "WORK_PHONE_NUMBER": "phone",
    "MOBILE_PHONE_NUMBER": "phone",
    "JOB_TITLE": "job_title",
    "COUNTRY": "country",
    "STATE": "state",
    "ZIP_CODE": "zip_code",
    "POSTAL_CODE": "zip_code",
    "COMPANY_NAME": "company_name",
    "COMPANY_SIZE": "company_size",
    "COMPANY_WEBSITE": "company_website",
    "INDUSTRY": "industry",
}

_RESPONSE_URN = re.compile(r"^urn:li:leadGenFormResponse:(.+)$")
_FORM_URN = re.compile(r"urn:li:leadGenForm:([^,)\s]+)")


class LeadNotification(BaseModel):
    model_config = ConfigDict(extra="allow", alias_generator=to_camel, populate_by_name=True)
    type: Text = None
    lead_gen_form_response: Annotated[str, BeforeValidator(text_of), Field(min_length=1)]
    lead_gen_form: Text = None
    lead_type: Text = None
    lead_action: Text = None
    occurred_at: Any = None
    owner: Any = None
    associated_entity: Any = None

    @property
    def response_id(self) -> str:
        """The id in ``urn:li:leadGenFormResponse:{id}`` (or the value, if no URN)."""
        match = _RESPONSE_URN.match(self.lead_gen_form_response.strip())
        found = (match.group(1) if match else self.lead_gen_form_response).strip()
        if not found:
            raise missing("leadGenFormResponse", reason="The lead's URN names no id")
        return found

    @property
    def form_id(self) -> str | None:
        """The form's id in ``urn:li:versionedLeadGenForm:(urn:li:leadGenForm:{id},{v})``."""
        return form_id_of(self.lead_gen_form)


def form_id_of(urn: str | None) -> str | None:
    match = _FORM_URN.search(urn or "")
    return match.group(1) if match else None


def notification(body: bytes) -> LeadNotification:
    found = validated(LeadNotification, json_object(body))
    if found.type not in (None, "LEAD_ACTION"):
        raise missing("type", reason="Expected a LEAD_ACTION notification", kind="literal_error")
    return found


def _answer_value(answer: dict[str, Any]) -> str | None:
    details = answer.get("answerDetails")
    if not isinstance(details, dict):
        details = answer.get("accepted")
    if not isinstance(details, dict):
        return answer_text(answer.get("answer"))
    text = details.get("textQuestionAnswer")
    if isinstance(text, dict):
        return answer_text(text.get("answer"))
    choice = details.get("multipleChoiceAnswer")
    if isinstance(choice, dict):
        return answer_text(choice.get("options"))
    return answer_text(details)


def _questions(form: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    content = (form or {}).get("content")
    questions = content.get("questions") if isinstance(content, dict) else None
    found: dict[str, dict[str, Any]] = {}
    for question in questions if isinstance(questions, list) else []:
        if isinstance(question, dict) and text_of(question.get("questionId")) is not None:
            found[str(text_of(question.get("questionId")))] = question
    return found


def _name_of(answer: dict[str, Any], question: dict[str, Any]) -> str:
    """Our field name for an answer: its predefined field, else the question's name."""
    predefined = text_of(question.get("predefinedField") or answer.get("predefinedField"))
    if predefined in PREDEFINED:
        return PREDEFINED[predefined]
    for name in (question.get("name"), answer.get("name"), predefined):
        if text_of(name):
            return str(text_of(name))
    return f"question {text_of(answer.get('questionId')) or '?'}"


def _epoch_ms(value: Any) -> datetime | None:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and 0 < value < 253402300800000:
        return datetime.fromtimestamp(value / 1000, UTC)
    return None


def submission(
    lead: LeadNotification, response: dict[str, Any], form: dict[str, Any] | None
) -> Submission:
    form_response = response.get("formResponse")
    answers = form_response.get("answers") if isinstance(form_response, dict) else None
    if not isinstance(answers, list):
        raise missing("formResponse.answers", reason="The lead form response has no answers")
    questions = _questions(form)
    draft = LeadDraft()
    for answer in answers:
        if not isinstance(answer, dict):
            continue
        question = questions.get(str(text_of(answer.get("questionId"))), {})
        draft.add(_name_of(answer, question), _answer_value(answer))
    consents = form_response.get("consentResponses") if isinstance(form_response, dict) else None
    given = [c for c in consents or [] if isinstance(c, dict)] if isinstance(consents, list) else []
    submitted_at = _epoch_ms(response.get("submittedAt")) or _epoch_ms(lead.occurred_at)
    if given:
        draft.consent = {
            "given": all(c.get("accepted") is True for c in given),
            "text": ", ".join(f"consent {text_of(c.get('consentId')) or '?'}" for c in given),
            "given_at": submitted_at.isoformat() if submitted_at else None,
        }
    draft.attribution["utm_source"] = "linkedin"
    metadata = response.get("leadMetadata")
    sponsored = metadata.get("sponsoredLeadMetadata") if isinstance(metadata, dict) else None
    campaign = text_of(sponsored.get("campaign")) if isinstance(sponsored, dict) else None
    if campaign:
        draft.attribution["utm_campaign"] = campaign
    if response.get("testLead") is True:
        draft.answer("testLead", "true")
    form_id = lead.form_id or form_id_of(text_of(response.get("versionedLeadGenFormUrn")))
    return Submission(
        delivery_id=lead.response_id,
        external_id=lead.response_id,
        draft=draft,
        raw={
            "webhook": lead.model_dump(exclude_none=True, by_alias=True),
            "lead": response,
            **({"form": form} if form else {}),
        },
        submitted_at=submitted_at,
        form_id=form_id,
        platform_campaign_id=form_id,
    )


def known(lead: LeadNotification) -> Submission:
    """A lead accepted before: only its delivery id matters (it is answered from memory)."""
    return Submission(
        delivery_id=lead.response_id,
        external_id=lead.response_id,
        draft=LeadDraft(),
        raw={"webhook": lead.model_dump(exclude_none=True, by_alias=True)},
        form_id=lead.form_id,
    )


async def _api(lookups: adapters.PlatformLookups, path: str, what: str) -> dict[str, Any]:
    """``GET {api}/rest/{path}`` with the headers LinkedIn's pages require."""
    settings = lookups.settings.linkedin
    return await lookups.api_get(
        adapters.ApiRead(
            "LinkedIn",
            f"{settings.api_base_url.rstrip('/')}/rest/{path}",
            headers={
                "Authorization": adapters.bearer(settings.access_token),
                "LinkedIn-Version": settings.api_version,
                "X-Restli-Protocol-Version": "2.0.0",
            },
            timeout_s=settings.api_timeout_s,
            what=what,
        )
    )


async def submissions(delivery: Delivery, lookups: adapters.PlatformLookups) -> adapters.Mapped:
    lead = notification(delivery.body)
    if lead.lead_action != "CREATED":
        # DELETED: the member withdrew the lead; acknowledged, not a lead.
        return Ignored(ignored=f"leadAction {lead.lead_action or 'missing'}")
    if lookups.already_accepted("linkedin", lead.response_id) is not None:
        return [known(lead)]
    # The answers, keyed by question id; the form names each question.
    path = f"leadFormResponses/{quote(lead.response_id, safe='')}"
    response = await _api(lookups, path, "lead form response")
    form_id = lead.form_id or form_id_of(text_of(response.get("versionedLeadGenFormUrn")))
    form = None
    if form_id:
        form = await _api(lookups, f"leadForms/{quote(form_id, safe='')}", "lead form")
    return [submission(lead, response, form)]


class LinkedInChallenge(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    challenge_code: str = Field(alias="challengeCode")
    challenge_response: str = Field(
        alias="challengeResponse",
        description="Hex HMAC-SHA256 of challengeCode with the app's client secret.",
    )


async def verify_linkedin(
    request: Request,
    challenge_code: Annotated[str, Query(alias="challengeCode", min_length=1, max_length=200)],
    application_id: Annotated[str | None, Query(alias="applicationId", max_length=200)] = None,
    campaign_id: adapters.CampaignParam = None,
) -> LinkedInChallenge:
    # https://learn.microsoft.com/en-us/linkedin/shared/api-guide/webhook-validation: a GET
    # with ?challengeCode= at registration and every 2 hours, answered within 3 s.
    secrets = adapters.webhook_settings(request).linkedin.secrets_for(campaign_id)
    if not secrets:
        raise Forbidden("No client secret is configured for linkedin.")
    return LinkedInChallenge(
        challenge_code=challenge_code,
        challenge_response=signatures.linkedin_challenge_response(challenge_code, secrets[0]),
    )


ADAPTER = adapters.PlatformAdapter(
    source="linkedin",
    media_types=adapters.JSON,
    summary="Receive a LinkedIn Lead Gen Forms lead notification",
    description="Signed with `X-LI-Signature` (hex HMAC-SHA256 with the app's client "
    "secret); the lead's answers are read from LinkedIn's API "
    "(`/rest/leadFormResponses/{id}`, `/rest/leadForms/{id}`). `leadAction: DELETED` is "
    "acknowledged with 200 and ignored. 503 when LinkedIn's API fails: nothing is stored.",
    map=submissions,
    **adapters.signed_body("linkedin", "x_li_signature", signatures.linkedin_signature_valid),
    responses=adapters.ignoring("No new lead"),
    handshake=adapters.Handshake(
        endpoint=verify_linkedin,
        summary="LinkedIn's webhook validation: answer the challengeCode",
        response_model=LinkedInChallenge,
        responses={403: RESPONSES[403], 422: RESPONSES[422]},
    ),
)
