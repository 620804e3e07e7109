"""What every platform's mapping produces, and the field names they share."""

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from leadrouter_runtime.problems import MalformedBody
from leadrouter_runtime.values import loads as load_json
from leadrouter_runtime.values import without_nul
from leadrouter_scorer.webhooks.problems import UnmappablePayload

M = TypeVar("M", bound=BaseModel)

# Field names as marketers and platforms spell them -> where they go in the Lead.
_ALIASES: dict[str, str] = {
    **dict.fromkeys(
        ["email", "e_mail", "email_address", "work_email", "emailaddress"], "contact.email"
    ),
    **dict.fromkeys(["first_name", "firstname", "fname", "given_name"], "contact.first_name"),
    **dict.fromkeys(
        ["last_name", "lastname", "lname", "surname", "family_name"], "contact.last_name"
    ),
    **dict.fromkeys(["full_name", "fullname", "name", "your_name"], "full_name"),
    **dict.fromkeys(
        ["phone", "phone_number", "phonenumber", "mobilephone", "mobile", "work_phone", "tel"],
        "contact.phone",
    ),
    **dict.fromkeys(["job_title", "jobtitle", "role", "position"], "contact.job_title"),
    **dict.fromkeys(["country", "country_code"], "contact.country"),
    **dict.fromkeys(["state", "region", "province"], "contact.region"),
    **dict.fromkeys(
        ["zip", "zip_code", "zipcode", "postal_code", "postcode", "post_code"],
        "contact.postal_code",
    ),
    **dict.fromkeys(["language", "hs_language", "locale"], "contact.language"),
    **dict.fromkeys(["company", "company_name", "organization", "organisation"], "company.name"),
    **dict.fromkeys(["website", "company_domain", "domain", "company_website"], "company.domain"),
    **dict.fromkeys(
        ["employees", "numemployees", "company_size", "number_of_employees"], "company.employees"
    ),
    **dict.fromkeys(["industry"], "company.industry"),
    **{
        name: f"attribution.{name}"
        for name in ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
    },
    **dict.fromkeys(["landing_page", "page_url"], "attribution.landing_page"),
    **dict.fromkeys(["referrer", "referer"], "attribution.referrer"),
}


def canonical_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


# How forms ask for a field: "What is your first name?", "Your company", "Work email".
_QUESTION = re.compile(r"^(?:(?:what_is|what_s|whats|please_enter|enter)_)?(?:your_)?(.+)$")


def alias_of(name: str) -> str | None:
    """The Lead field a form's field name or short question names, if any."""
    canonical = canonical_name(name)
    target = _ALIASES.get(canonical)
    if target is None:
        match = _QUESTION.match(canonical)
        target = _ALIASES.get(match.group(1)) if match else None
    return target


def text_of(value: Any) -> str | None:
    """A scalar as text (ids come as JSON numbers or strings); None for anything else."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    return None


def answer_text(value: Any) -> str | None:
    """Any JSON value as the text of an answer: scalars as they are, lists joined, objects
    as compact JSON (kept rather than dropped), null and empty as nothing."""
    if value is None:
        return None
    if isinstance(value, list):
        parts = [answer_text(item) for item in value]
        return ", ".join(part for part in parts if part) or None
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else None
    return text_of(value)


@dataclass
class LeadDraft:
    """The Lead's parts as a platform's fields fill them (plain values; validated later)."""

    contact: dict[str, Any] = field(default_factory=dict)
    company: dict[str, Any] = field(default_factory=dict)
    attribution: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    consent: dict[str, Any] | None = None

    def put(self, target: str, value: str) -> None:
        """Set a Lead field by its dotted name (``contact.email``), first value wins."""
        value = value.strip()
        if not value:
            return
        if target == "full_name":
            first, _, last = value.partition(" ")
            self.contact.setdefault("first_name", first)
            if last.strip():
                self.contact.setdefault("last_name", last.strip())
            return
        group, _, name = target.partition(".")
        part: dict[str, Any] = getattr(self, group)
        part.setdefault(name, value)

    def add(self, name: str, value: str | None) -> None:
        """One answered field: into contact/company/attribution when its name is known
        (and its value fits), else kept as an answer under its own name."""
        if value is None or not str(value).strip():
            return
        value = str(value).strip()
        target = alias_of(name)
        if target == "contact.country" and not re.fullmatch(r"[A-Za-z]{2}", value):
            target = None  # a country name, not an ISO code: keep it as said
        elif target == "company.employees" and not (value.isascii() and value.isdigit()):
            target = None  # a range such as "25-50": an answer, not a count
        if target is None:
            self.answer(name, value)
        else:
            self.put(target, value.upper() if target == "contact.country" else value)

    def answer(self, name: str, value: str | None) -> None:
        """Keep ``value`` as an answer, never silently losing it: a name already taken
        by a different value gets a numbered twin (``name (2)``)."""
        if value is None or not value.strip():
            return
        key = name.strip() or "answer"
        number = 1
        while key in self.answers and self.answers[key] != value:
            number += 1
            key = f"{name.strip() or 'answer'} ({number})"
        self.answers[key] = value.strip()

    def as_lead_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "contact": self.contact,
            "company": self.company,
            "attribution": self.attribution,
            "answers": self.answers,
        }
        if self.consent is not None:
            fields["consent"] = self.consent
        return fields


@dataclass(frozen=True)
class Submission:
    """One campaign response as a platform sent it, before our campaign is attached."""

    delivery_id: str  # the same on a redelivery: the event id derives from it
    external_id: str | None
    draft: LeadDraft
    raw: dict[str, Any]
    submitted_at: datetime | None = None
    form_started_at: datetime | None = None  # when the form was shown, where the platform says
    form_id: str | None = None
    platform_campaign_id: str | None = None
    campaign_id: str | None = None  # when the payload names our campaign itself (generic)
    # Our own format refuses a value the Lead refuses (422); a platform's value that does
    # not fit its Lead field (too long, not a number) is kept as an answer instead.
    strict: bool = False


def body_digest(body: bytes) -> str:
    """A delivery id for platforms that send none: a redelivery repeats the same bytes."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


def json_value(body: bytes | str, what: str = "The body") -> Any:
    """JSON as RFC 8259 defines it (depth-bounded), else 400: Python's parser also takes
    ``NaN`` and ``Infinity``, which no platform sends and no event can carry."""
    try:
        # Depth-bounded (the parser recurses); NUL removed (no database can store it).
        data = without_nul(load_json(body))
    except (UnicodeDecodeError, ValueError) as error:
        raise MalformedBody(f"{what} is not valid JSON: {error}") from error
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise MalformedBody(f"{what} is not valid JSON: {item} is not a JSON number")
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return data


def json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, else 400 (not JSON) or 422 (JSON, but not an object)."""
    data = json_value(body)
    if not isinstance(data, dict):
        raise missing("body", reason="Expected a JSON object", kind="dict_type")
    return data


def validated(model: type[M], data: Any) -> M:
    """``data`` as ``model``, else a 422 naming every offending field."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise UnmappablePayload(error.errors(include_url=False)) from error


def missing(
    *fields: str, reason: str = "Field required", kind: str = "missing"
) -> UnmappablePayload:
    """ "Cannot map": each of ``fields`` (as the platform names them) is absent or unusable."""
    return UnmappablePayload([{"loc": (name,), "msg": reason, "type": kind} for name in fields])
