"""Typeform ``form_response`` webhooks
(https://www.typeform.com/developers/webhooks/example-payload/).

Each answer is typed (``text``, ``email``, ``choice``...); the question is found in
``definition.fields`` by the answer's field id, nested questions included (the
sub-fields of a ``contact_info`` block or a ``group``). An answer goes to the Lead
field its question names: the sub-field's key (``first_name``, ``company``), else the
field's ``ref`` when its author wrote one, else a short question such as "What is your
first name?"; otherwise it is an answer named by the ref, else by the question.
Hidden fields carry the UTM parameters; ``variables`` and ``calculated`` are kept as
answers (``variables.<key>``, ``calculated.score``).
"""

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from leadrouter_scorer.webhooks import adapters, signatures
from leadrouter_scorer.webhooks.platforms.common import (
    LeadDraft,
    Submission,
    alias_of,
    answer_text,
    json_object,
    validated,
)

# A ref the form's author wrote (``company``), not one Typeform generated (a UUID).
_READABLE_REF = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
Text = Annotated[str | None, BeforeValidator(answer_text)]


class _Field(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: Annotated[str, BeforeValidator(answer_text)]
    type: Text = None
    ref: Text = None
    title: Text = None
    subfield_key: Text = None
    properties: Any = None


class _Definition(BaseModel):
    model_config = ConfigDict(extra="ignore")
    fields: list[Any] = Field(default_factory=list)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Annotated[str, BeforeValidator(answer_text)]
    field: _Field


class _FormResponse(BaseModel):
    model_config = ConfigDict(extra="ignore")
    form_id: Annotated[str, BeforeValidator(answer_text), Field(min_length=1)]
    token: Annotated[str, BeforeValidator(answer_text), Field(min_length=1)]
    submitted_at: datetime
    landed_at: datetime | None = None
    hidden: dict[str, Any] = Field(default_factory=dict)
    calculated: dict[str, Any] = Field(default_factory=dict)
    variables: list[Any] = Field(default_factory=list)
    definition: _Definition = _Definition()
    answers: list[_Answer] = Field(default_factory=list)


class TypeformPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")
    event_id: Annotated[str, BeforeValidator(answer_text), Field(min_length=1)]
    event_type: Literal["form_response"]
    form_response: _FormResponse


def answer_value(answer: _Answer) -> str | None:
    """The answer as text, by its type."""
    value: Any = (answer.model_extra or {}).get(answer.type)
    if answer.type == "choice" and isinstance(value, dict):
        value = value.get("label") or value.get("other") or value
    elif answer.type == "choices" and isinstance(value, dict):
        found = value.get("labels")
        labels: list[Any] = found if isinstance(found, list) else []
        other: list[Any] = [value["other"]] if value.get("other") else []
        value = [*labels, *other] or value
    elif answer.type == "boolean" and isinstance(value, bool):
        value = "yes" if value else "no"
    elif answer.type == "payment" and isinstance(value, dict) and value.get("amount"):
        value = " ".join(str(v) for v in (value.get("amount"), value.get("currency")) if v)
    return answer_text(value)


def questions_of(fields: list[Any]) -> dict[str, _Field]:
    """Every question by id, the sub-questions of blocks and groups included."""
    found: dict[str, _Field] = {}
    for item in fields:
        if not isinstance(item, dict):
            continue
        try:
            question = _Field.model_validate(item)
        except ValueError:
            continue
        found.setdefault(question.id, question)
        nested = item.get("properties")
        if isinstance(nested, dict) and isinstance(nested.get("fields"), list):
            found.update(
                {k: v for k, v in questions_of(nested["fields"]).items() if k not in found}
            )
    return found


def _name(question: _Field, answer: _Answer) -> tuple[str, bool]:
    """The name to file the answer under, and whether it names a Lead field."""
    ref = answer.field.ref or question.ref
    readable = ref if ref and _READABLE_REF.fullmatch(ref) else None
    for candidate in (question.subfield_key, answer.field.subfield_key, readable, question.title):
        if candidate and alias_of(candidate):
            return candidate, True
    return readable or question.title or answer.field.id, False


def submission(body: bytes) -> Submission:
    raw = json_object(body)
    payload = validated(TypeformPayload, raw)
    response = payload.form_response
    questions = questions_of(response.definition.fields)
    draft = LeadDraft()
    for answer in response.answers:
        question = questions.get(answer.field.id, answer.field)
        value = answer_value(answer)
        if "legal" in (answer.field.type, question.type):
            # A "legal" question is the consent checkbox; its title is the wording agreed to.
            draft.consent = {
                "given": (answer.model_extra or {}).get("boolean") is True,
                "text": question.title,
                "form_version": response.form_id,
                "given_at": response.submitted_at.isoformat(),
            }
        elif answer.type == "email":
            draft.put("contact.email", value or "")
        elif answer.type == "phone_number":
            draft.put("contact.phone", value or "")
        else:
            name, known = _name(question, answer)
            if known:
                draft.add(name, value)
            else:
                draft.answer(name, value)
    for name, hidden in response.hidden.items():
        draft.add(str(name), answer_text(hidden))
    for item in response.variables:
        # [{"key": "score", "type": "number", "number": 4}, ...]
        key = answer_text(item.get("key")) if isinstance(item, dict) else None
        if key:
            kind = answer_text(item.get("type")) or ""
            draft.answer(f"variables.{key}", answer_text(item.get(kind)))
    for name, computed in response.calculated.items():
        draft.answer(f"calculated.{name}", answer_text(computed))
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


ADAPTER = adapters.PlatformAdapter(
    source="typeform",
    media_types=adapters.JSON,
    summary="Receive a Typeform form_response",
    description="Signed with `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the body>`.",
    map=adapters.one_per_body(submission),
    **adapters.signed_body("typeform", "typeform_signature", signatures.typeform_signature_valid),
)
