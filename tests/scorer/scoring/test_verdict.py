"""The pure step of the scorer: a received lead and its campaign become one verdict."""

from datetime import timedelta

from leadrouter_schemas import (
    Contact,
    LeadReceived,
    LeadReceivedData,
    LeadRejected,
    LeadScored,
    ScoringModel,
    ValidationCriteria,
)
from leadrouter_scorer.scoring.default_model import DEFAULT_MODEL
from leadrouter_scorer.scoring.handlers import verdict
from tests.support.samples import NOW, campaign, envelope, lead, received


def test_verdict_is_deterministic_including_its_event_id() -> None:
    event = received()
    first = verdict(event, campaign(), default_model=DEFAULT_MODEL, now=NOW)
    again = verdict(event, campaign(), default_model=DEFAULT_MODEL, now=NOW)
    assert isinstance(first, LeadScored)
    assert first == again
    assert first.causation_id == event.event_id
    assert first.correlation_id == event.correlation_id
    assert first.event_id != event.event_id


def test_a_redelivery_later_scores_the_same_because_age_comes_from_the_event() -> None:
    event = LeadReceived(
        data=LeadReceivedData(lead=lead()),
        **{**envelope(), "occurred_at": NOW + timedelta(hours=24)},
    )
    first = verdict(event, campaign(), default_model=DEFAULT_MODEL, now=NOW + timedelta(days=1))
    later = verdict(event, campaign(), default_model=DEFAULT_MODEL, now=NOW + timedelta(days=9))
    assert isinstance(first, LeadScored)
    assert isinstance(later, LeadScored)
    assert first.data.score == later.data.score
    assert first.event_id == later.event_id
    assert any(c.rule == "recency decay" for c in first.data.score.explanation)


def test_the_campaign_model_is_used_and_named_in_the_score() -> None:
    own = campaign(scoring=ScoringModel(version="spring-2", mql_threshold=0))
    result = verdict(received(), own, default_model=DEFAULT_MODEL, now=NOW)
    assert isinstance(result, LeadScored)
    assert result.data.score.model_version == "spring-2"
    default = verdict(received(), campaign(), default_model=DEFAULT_MODEL, now=NOW)
    assert isinstance(default, LeadScored)
    assert default.data.score.model_version == DEFAULT_MODEL.version


def test_an_unknown_campaign_is_rejected_with_every_other_failure_too() -> None:
    result = verdict(received("nope"), None, default_model=DEFAULT_MODEL, now=NOW)
    assert isinstance(result, LeadRejected)
    assert [r.code for r in result.data.reasons] == ["campaign.unknown", "email.invalid"]
    assert result.data.lead == received("nope").data.lead


def test_an_unknown_campaign_can_be_accepted_with_the_default_model() -> None:
    result = verdict(
        received(), None, default_model=DEFAULT_MODEL, accept_unknown_campaign=True, now=NOW
    )
    assert isinstance(result, LeadScored)
    assert result.data.score.model_version == DEFAULT_MODEL.version


def test_the_campaign_criteria_apply() -> None:
    b2b = campaign(criteria=ValidationCriteria(reject_free_email=True), active=False)
    result = verdict(received("ada@gmail.com"), b2b, default_model=DEFAULT_MODEL, now=NOW)
    assert isinstance(result, LeadRejected)
    assert [r.code for r in result.data.reasons] == ["campaign.inactive", "email.free"]


def test_the_scored_lead_carries_its_normalised_phone_and_warnings() -> None:
    phoned = LeadReceived(
        data=LeadReceivedData(
            lead=lead(contact=Contact(email="a@example.com", phone="612 345 678", country="ES"))
        ),
        **envelope(),
    )
    result = verdict(phoned, campaign(), default_model=DEFAULT_MODEL, now=NOW)
    assert isinstance(result, LeadScored)
    assert result.data.lead.contact.phone == "+34612345678"
    assert result.data.warnings == ()

    bad = phoned.model_copy(
        update={
            "data": LeadReceivedData(
                lead=lead(contact=Contact(email="a@example.com", phone="12", country="ES"))
            )
        }
    )
    warned = verdict(bad, campaign(), default_model=DEFAULT_MODEL, now=NOW)
    assert isinstance(warned, LeadScored)
    assert [w.code for w in warned.data.warnings] == ["phone.invalid"]
