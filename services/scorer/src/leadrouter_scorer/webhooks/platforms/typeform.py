"""Typeform ``form_response`` webhooks
(https://www.typeform.com/developers/webhooks/example-payload/).

Each answer is typed (``text``, ``email``, ``choice``...); the question is found in
``definition.fields`` by the answer's field id. Answers are named by the field's
``ref`` when its author wrote one (e.g. ``first_name``, ``company``), else by its title.
Hidden fields carry the UTM parameters.
"""

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from leadrouter_scorer.webhooks.platforms.common import (
    LeadDraft,
    Submission,
    json_object,
    validated,
)

# A ref the form's author wrote (``company``), not one Typeform generated (a UUID).
_READABLE_REF = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


class _Field(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    type: str | None = None
    ref: str | None = None
    title: str | None = None


class _Definition(BaseModel):
    model_config = ConfigDict(extra="ignore")
    fields: list[_Field] = Field(default_factory=list)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    field: _Field


class _FormResponse(BaseModel):
    model_config = ConfigDict(extra="ignore")
    form_id: str = Field(min_length=1)
    token: str = Field(min_length=1)
    submitted_at: datetime
    landed_at: datetime | None = None
    hidden: dict[str, str | None] = Field(default_factory=dict)
    definition: _Definition = _Definition()
    answers: list[_Answer] = Field(default_factory=list)


class TypeformPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")
    event_id: str = Field(min_length=1)
    event_type: Literal["form_response"]
    form_response: _FormResponse


def answer_value(answer: _Answer) -> str | None:
    """The answer as text, by its type."""
    value: Any = (answer.model_extra or {}).get(answer.type)
    if answer.type == "choice" and isinstance(value, dict):
        value = value.get("label") or value.get("other")
    elif answer.type == "choices" and isinstance(value, dict):
        labels = [*value.get("labels", []), *([value["other"]] if value.get("other") else [])]
        value = ", ".join(str(label) for label in labels)
    elif answer.type == "boolean" and isinstance(value, bool):
        value = "yes" if value else "no"
    elif answer.type == "payment" and isinstance(value, dict):
        value = value.get("amount")
    return None if value is None or isinstance(value, dict | list) else str(value)


def submission(body: bytes) -> Submission:
    raw = json_object(body)
    payload = validated(TypeformPayload, raw)
    response = payload.form_response
    questions = {f.id: f for f in response.definition.fields}
    draft = LeadDraft()
    for answer in response.answers:
        question = questions.get(answer.field.id, answer.field)
        value = answer_value(answer)
        title = question.title or answer.field.id
        if answer.field.type == "legal" or question.type == "legal":
            # A "legal" question is the consent checkbox; its title is the wording agreed to.
            draft.consent = {
                "given": bool((answer.model_extra or {}).get("boolean")),
                "text": question.title,
                "form_version": response.form_id,
                "given_at": response.submitted_at.isoformat(),
            }
        elif answer.type == "email":
            draft.put("contact.email", value or "")
        elif answer.type == "phone_number":
            draft.put("contact.phone", value or "")
        else:
            ref = answer.field.ref or question.ref
            draft.add(ref if ref and _READABLE_REF.fullmatch(ref) else title, value)
    for name, value in response.hidden.items():
        draft.add(name, value)
    return Submission(
        delivery_id=payload.event_id,
        external_id=response.token,
        draft=draft,
        raw=raw,
        submitted_at=response.submitted_at,
        form_started_at=response.landed_at,
        form_id=response.form_id,
        platform_campaign_id=response.form_id,
    )
