"""What every platform's mapping produces, and the field names they share."""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from leadrouter_runtime.problems import MalformedBody
from leadrouter_runtime.values import loads as load_json

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
        target = _ALIASES.get(canonical_name(name))
        if target == "contact.country" and not re.fullmatch(r"[A-Za-z]{2}", value):
            target = None  # a country name, not an ISO code: keep it as said
        elif target == "company.employees" and not value.isdigit():
            target = None  # a range such as "25-50": an answer, not a count
        if target is None:
            self.answers.setdefault(name, value)
        else:
            self.put(target, value.upper() if target == "contact.country" else value)

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


def body_digest(body: bytes) -> str:
    """A delivery id for platforms that send none: a redelivery repeats the same bytes."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


def json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, else 400 (not JSON) or 422 (JSON, but not an object)."""
    try:
        data = load_json(body)  # depth-bounded: the parser recurses
    except (UnicodeDecodeError, ValueError) as error:
        raise MalformedBody(f"The body is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise RequestValidationError(
            [{"loc": ("body",), "msg": "Expected a JSON object", "type": "dict_type"}]
        )
    return data


def validated(model: type[M], data: Any) -> M:
    """``data`` as ``model``, else 422 naming every offending field."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise RequestValidationError(error.errors(include_url=False)) from error
