"""Validation criteria, one behaviour a test: pure functions, no fixtures."""

from datetime import timedelta
from typing import Any

import pytest
from email_validator import EmailNotValidError, validate_email

from leadrouter_schemas import (
    Company,
    Consent,
    ConsentRule,
    Contact,
    SpamSignals,
    ValidationCriteria,
)
from leadrouter_scorer.scoring.validation import campaign_reasons, check, parse_email
from tests.support.samples import NOW, campaign, lead

DEFAULT = ValidationCriteria()


def codes(criteria: ValidationCriteria = DEFAULT, **changes: Any) -> list[str]:
    return [r.code for r in check(lead(**changes), criteria).reasons]


def test_the_sample_lead_meets_the_default_criteria() -> None:
    checked = check(lead(), DEFAULT)
    assert (checked.reasons, checked.warnings) == ([], [])


@pytest.mark.parametrize("email", ["ada@example.com", "Ada.Lovelace+demo@Example.co.uk"])
def test_a_well_formed_email_passes(email: str) -> None:
    assert check(lead(email), DEFAULT).reasons == []


@pytest.mark.parametrize("email", ["not-an-email", "ada@", "@example.com", "ada@@example.com"])
def test_a_malformed_email_is_rejected_with_its_code_field_and_sentence(email: str) -> None:
    (reason,) = check(lead(email), DEFAULT).reasons
    assert (reason.code, reason.field) == ("email.invalid", "contact.email")
    assert reason.message.startswith("The e-mail address is not valid")


def test_a_missing_email_is_a_missing_required_field() -> None:
    reasons = check(lead(None), DEFAULT).reasons
    assert [(r.code, r.field, r.message) for r in reasons] == [
        ("field.missing", "contact.email", "contact.email is required.")
    ]


def test_every_failed_criterion_is_reported() -> None:
    criteria = ValidationCriteria(
        required_fields=("contact.email", "contact.phone", "answers.budget")
    )
    reasons = check(lead("broken"), criteria).reasons
    assert sorted((r.code, r.field) for r in reasons) == [
        ("email.invalid", "contact.email"),
        ("field.missing", "answers.budget"),
        ("field.missing", "contact.phone"),
    ]


def test_a_disposable_address_from_the_packaged_list_is_rejected() -> None:
    assert codes(email="ada@mailinator.com") == ["email.disposable"]
    allowed = ValidationCriteria(reject_disposable_email=False)
    assert codes(allowed, email="ada@mailinator.com") == []


def test_a_role_address_is_rejected_when_the_campaign_asks() -> None:
    strict = ValidationCriteria(reject_role_email=True)
    assert codes(strict, email="Sales+spring@example.com") == ["email.role"]
    assert codes(strict, email="ada@example.com") == []
    assert codes(email="sales@example.com") == []  # off by default


def test_free_mail_is_rejected_only_for_b2b_campaigns() -> None:
    b2b = ValidationCriteria(reject_free_email=True)
    assert codes(b2b, email="ada@gmail.com") == ["email.free"]
    assert codes(b2b, email="ada@example.com") == []
    assert codes(email="ada@gmail.com") == []


def with_phone(phone: str, country: str | None = "ES") -> Contact:
    return lead().contact.model_copy(update={"phone": phone, "country": country})


def test_a_valid_phone_is_normalised_to_e164_for_the_lead_country() -> None:
    checked = check(lead(contact=with_phone("612 345 678", "ES")), DEFAULT)
    assert checked.reasons == []
    assert checked.lead.contact.phone == "+34612345678"
    international = check(lead(contact=with_phone("+1 202 555 0143", "ES")), DEFAULT)
    assert international.lead.contact.phone == "+12025550143"


def test_an_invalid_phone_is_a_warning_unless_the_campaign_requires_a_phone() -> None:
    optional = check(lead(contact=with_phone("12345")), DEFAULT)
    assert optional.reasons == []
    assert [(w.code, w.field) for w in optional.warnings] == [("phone.invalid", "contact.phone")]
    assert optional.lead.contact.phone == "12345"  # kept as given

    required = ValidationCriteria(required_fields=("contact.email", "contact.phone"))
    rejected = check(lead(contact=with_phone("12345")), required)
    assert [r.code for r in rejected.reasons] == ["phone.invalid"]
    assert rejected.warnings == []


def test_a_national_phone_without_a_country_is_invalid() -> None:
    checked = check(lead(contact=with_phone("612 345 678", None), consent=None), DEFAULT)
    assert [w.code for w in checked.warnings] == ["phone.invalid"]


def test_countries_served() -> None:
    served = ValidationCriteria(countries_served=("ES", "PT"))
    assert codes(served) == []
    assert codes(served, contact=Contact(email="a@example.com", country="FR")) == [
        "country.not_served"
    ]
    assert "country.missing" in codes(served, contact=Contact(email="a@example.com"))


def test_consent_is_required_where_the_law_asks_with_its_proof() -> None:
    assert codes(consent=None) == ["consent.missing"]  # ES: GDPR
    assert codes(consent=Consent(given=False)) == ["consent.missing"]
    us = Contact(email="a@example.com", country="US")
    assert codes(contact=us, consent=None) == []
    ca = Contact(email="a@example.com", country="CA")
    assert codes(contact=ca, consent=None) == ["consent.missing"]  # CASL
    unknown = Contact(email="a@example.com")
    assert codes(contact=unknown, consent=None) == ["consent.missing"]

    (reason,) = check(lead(consent=Consent(given=True, text="Yes")), DEFAULT).reasons
    assert reason.code == "consent.proof_missing"
    assert reason.message == "The consent lacks its proof: time, IP address."
    by_form = Consent(given=True, form_version="f-7", given_at=NOW, ip="192.0.2.1")
    assert codes(consent=by_form) == []


def test_the_campaign_lists_its_consent_countries() -> None:
    only_canada = ValidationCriteria(consent=ConsentRule(countries=("CA",), proof_required=False))
    assert codes(only_canada, consent=None) == []
    assert codes(only_canada, consent=Consent(given=True)) == []


def test_a_filled_honeypot_is_spam() -> None:
    reasons = check(lead(answers={"interest": "demo", "website_url": "http://x"}), DEFAULT).reasons
    assert [(r.code, r.field) for r in reasons] == [("spam.honeypot", "answers.website_url")]
    assert codes(answers={"website_url": ""}) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"email": "TEST@test.com"},
        {"contact": Contact(email="a@example.com", first_name="asdf", country="US")},
        {"company": Company(name="Test")},
    ],
)
def test_known_test_values_are_spam(changes: dict[str, Any]) -> None:
    assert "spam.test_value" in codes(DEFAULT, **changes)


def test_an_impossibly_fast_submission_is_spam() -> None:
    fast = lead(form_started_at=NOW - timedelta(seconds=1))
    (reason,) = check(fast, DEFAULT).reasons
    assert (reason.code, reason.field) == ("spam.too_fast", "form_started_at")
    assert "1.0s after it was shown" in reason.message
    assert check(lead(form_started_at=NOW - timedelta(seconds=40)), DEFAULT).reasons == []
    off = ValidationCriteria(spam=SpamSignals(min_submit_seconds=None))
    assert check(fast, off).reasons == []


def test_campaign_known_active_and_form_listed() -> None:
    assert [r.code for r in campaign_reasons(lead(), None)] == ["campaign.unknown"]
    assert campaign_reasons(lead(), campaign()) == []
    paused = campaign(active=False, forms=("f-1",))
    assert [r.code for r in campaign_reasons(lead(form_id="f-2"), paused)] == [
        "campaign.inactive",
        "form.unknown",
    ]
    assert campaign_reasons(lead(form_id="f-1"), campaign(forms=("f-1",))) == []


@pytest.mark.parametrize(
    "email",
    [
        "ada@example.com",
        "o'brien+tag@sub.example.co.uk",
        "a.b-c_d@xn--bcher-kva.example",
        "ada@bücher.example",
        "josé@example.com",
        '"quoted"@example.com',
        "ada..lovelace@example.com",
        ".ada@example.com",
        "ada@-example.com",
        "ada@example",
        "ada@localhost",
        "ada@example.test",
        "ada@192.168.0.1",
        "a" * 65 + "@example.com",
        "ada@" + "a" * 64 + ".com",
    ],
)
def test_the_fast_email_path_agrees_with_email_validator(email: str) -> None:
    try:
        expected: tuple[str, str] | None = parse_reference(email)
    except EmailNotValidError:
        expected = None
    try:
        actual: tuple[str, str] | None = parse_email(email)
    except EmailNotValidError:
        actual = None
    assert actual == expected


def parse_reference(email: str) -> tuple[str, str]:
    parsed = validate_email(email, check_deliverability=False)
    return parsed.local_part, parsed.ascii_domain.lower()
