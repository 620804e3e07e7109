"""The pure step of the scorer: validation criteria and the explained score."""

import uuid

import pytest

from leadrouter_schemas import Contact, LeadRejected, LeadScored, ScoringModel, ValidationCriteria
from leadrouter_scorer.scoring.handlers import verdict
from leadrouter_scorer.scoring.score import grade_of, score
from leadrouter_scorer.scoring.validation import validate
from tests.support.samples import NOW, lead, received

MODEL = ScoringModel(version="default-1", mql_threshold=50)


@pytest.mark.parametrize("email", ["ada@example.com", "Ada.Lovelace+demo@Example.co.uk"])
def test_a_well_formed_email_passes(email: str) -> None:
    assert validate(lead(email), ValidationCriteria()) == []


@pytest.mark.parametrize("email", ["not-an-email", "ada@", "@example.com", "ada@@example.com"])
def test_a_malformed_email_is_rejected_with_its_code_and_field(email: str) -> None:
    (reason,) = validate(lead(email), ValidationCriteria())
    assert (reason.code, reason.field) == ("email.invalid", "contact.email")
    assert reason.message.startswith("The e-mail address is not valid")


def test_a_missing_email_is_a_missing_required_field() -> None:
    reasons = validate(lead(None), ValidationCriteria())
    assert [(r.code, r.field) for r in reasons] == [("field.missing", "contact.email")]


def test_every_failed_criterion_is_reported() -> None:
    criteria = ValidationCriteria(required_fields=("contact.email", "contact.phone"))
    reasons = validate(lead("broken"), criteria)
    assert {r.code for r in reasons} == {"field.missing", "email.invalid"}


def test_score_explains_every_point() -> None:
    result = score(lead(), MODEL)
    fit_points = sum(c.points for c in result.explanation if c.axis == "fit")
    intent_points = sum(c.points for c in result.explanation if c.axis == "intent")
    assert result.fit == min(100, fit_points)
    assert result.intent == min(100, intent_points)
    assert result.value == round(0.6 * result.fit + 0.4 * result.intent)
    assert {c.rule for c in result.explanation} >= {"role known", "company named"}


def test_an_empty_lead_scores_zero_and_grade_d() -> None:
    bare = lead().model_copy(
        update={
            "contact": Contact(email="ada@example.com"),
            "answers": {},
            "company": lead().company.model_copy(
                update={"name": None, "domain": None, "employees": None}
            ),
        }
    )
    result = score(bare, MODEL)
    assert (result.value, result.grade, result.is_mql, result.explanation) == (0, "D", False, ())


@pytest.mark.parametrize(
    ("value", "grade"),
    [(100, "A"), (75, "A"), (74, "B"), (50, "B"), (49, "C"), (25, "C"), (24, "D")],
)
def test_grade_boundaries(value: int, grade: str) -> None:
    assert grade_of(value) == grade


def test_mql_follows_the_model_threshold() -> None:
    value = score(lead(), MODEL).value
    assert score(lead(), MODEL.model_copy(update={"mql_threshold": value})).is_mql
    assert not score(lead(), MODEL.model_copy(update={"mql_threshold": value + 1})).is_mql


def test_verdict_is_deterministic_including_its_event_id() -> None:
    event = received()
    first = verdict(event, criteria=ValidationCriteria(), model=MODEL, now=NOW)
    again = verdict(event, criteria=ValidationCriteria(), model=MODEL, now=NOW)
    assert isinstance(first, LeadScored)
    assert first == again
    assert first.causation_id == event.event_id
    assert first.correlation_id == event.correlation_id
    assert first.event_id != event.event_id


def test_verdict_rejects_and_keeps_the_lead() -> None:
    event = received("nope")
    result = verdict(event, criteria=ValidationCriteria(), model=MODEL, now=NOW)
    assert isinstance(result, LeadRejected)
    assert result.data.lead == event.data.lead
    assert isinstance(result.event_id, uuid.UUID)
