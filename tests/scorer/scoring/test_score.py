"""The value score: two axes, every point explained, the model as data."""

from datetime import timedelta

import pytest

from leadrouter_schemas import Company, Contact, Lead, RuleCase, ScoringModel, ScoringRule
from leadrouter_scorer.scoring.default_model import DEFAULT_MODEL, default_model
from leadrouter_scorer.scoring.score import RECENCY_RULE, grade_of, score
from tests.support.samples import lead

NO_DECAY = DEFAULT_MODEL.model_copy(update={"recency_half_life_hours": None})


def hot_lead() -> Lead:
    return lead(
        contact=Contact(email="grace@example.com", job_title="CTO", country="US"),
        company=Company(name="Hopper", employees=250, industry="Software"),
        answers={"interest": "demo", "budget": "50k", "timeline": "this quarter"},
    )


def test_every_point_is_explained_by_rule_axis_and_input() -> None:
    result = score(hot_lead(), NO_DECAY, campaign_kind="demo_request")
    lines = {(c.rule, c.axis, c.input, c.points) for c in result.explanation}
    assert lines == {
        ("company size: 200-999 employees", "fit", "250", 25),
        ("industry: target industry", "fit", "Software", 15),
        ("role and seniority: executive", "fit", "CTO", 35),
        ("country: country known", "fit", "US", 10),
        ("campaign type: demo request campaign", "intent", "demo_request", 25),
        ("requested action: demo or trial", "intent", "demo", 40),
        ("stated budget: budget stated", "intent", "50k", 15),
        ("timeline: buying now", "intent", "this quarter", 20),
    }
    assert (result.fit, result.intent) == (85, 100)  # intent 100 clamped from 100
    assert result.value == round(0.5 * 85 + 0.5 * 100)
    assert (result.grade, result.is_mql, result.model_version) == ("A", True, "default-2")


def test_axis_sums_equal_their_explanation() -> None:
    result = score(lead(), DEFAULT_MODEL)
    fit = sum(c.points for c in result.explanation if c.axis == "fit")
    intent = sum(c.points for c in result.explanation if c.axis == "intent")
    assert result.fit == round(min(100, max(0, fit)))
    assert result.intent == round(min(100, max(0, intent)))


def test_role_words_match_whole_words_only() -> None:
    director = lead(contact=Contact(email="a@example.com", job_title="Director of IT"))
    (role,) = [c for c in score(director, NO_DECAY).explanation if c.rule.startswith("role")]
    assert role.rule == "role and seniority: director"  # not "cto" inside "director"


def test_a_download_from_a_student_is_a_weak_lead() -> None:
    weak = lead(
        contact=Contact(email="s@example.com", job_title="Student"),
        company=Company(),
        answers={"interest": "download"},
    )
    result = score(weak, NO_DECAY, campaign_kind="content")
    assert (result.fit, result.intent, result.grade, result.is_mql) == (0, 10, "D", False)


def test_intent_decays_with_the_age_of_the_response() -> None:
    fresh = score(hot_lead(), DEFAULT_MODEL, campaign_kind="demo_request")
    old = score(hot_lead(), DEFAULT_MODEL, campaign_kind="demo_request", age=timedelta(hours=72))
    assert fresh.intent == 100
    assert old.intent == 50  # one half-life
    assert old.fit == fresh.fit
    (decay,) = [c for c in old.explanation if c.rule == RECENCY_RULE]
    assert (decay.axis, decay.points, decay.input) == ("intent", -50, "72.0h old, half-life 72h")


def test_a_model_of_its_own_with_custom_rules_and_weights() -> None:
    model = ScoringModel(
        version="fintech-7",
        mql_threshold=30,
        fit_weight=1.0,
        grade_thresholds=(90, 60, 30),
        rules=(
            ScoringRule(
                rule="bank",
                axis="fit",
                input="company.industry",
                cases=(RuleCase(when="equals", values=("banking",), points=40),),
            ),
            ScoringRule(
                rule="product",
                axis="fit",
                input="answers.product",
                cases=(RuleCase(when="equals", values=("payments",), points=20),),
            ),
        ),
    )
    banker = lead(company=Company(industry="Banking"), answers={"product": "Payments"})
    result = score(banker, model)
    assert (result.value, result.grade, result.is_mql) == (60, "B", True)
    assert result.model_version == "fintech-7"


def test_scoring_is_deterministic() -> None:
    five_hours = timedelta(hours=5)
    first = score(hot_lead(), DEFAULT_MODEL, age=five_hours)
    assert first == score(hot_lead(), DEFAULT_MODEL, age=five_hours)


def test_an_empty_model_scores_zero_and_grade_d() -> None:
    result = score(lead(), ScoringModel(version="empty"))
    assert (result.value, result.grade, result.is_mql, result.explanation) == (0, "D", False, ())


@pytest.mark.parametrize(
    ("value", "grade"),
    [(100, "A"), (75, "A"), (74, "B"), (50, "B"), (49, "C"), (25, "C"), (24, "D")],
)
def test_grade_boundaries(value: int, grade: str) -> None:
    assert grade_of(value) == grade


def test_mql_follows_the_model_threshold() -> None:
    value = score(lead(), DEFAULT_MODEL).value
    assert score(lead(), default_model(value)).is_mql
    assert not score(lead(), default_model(value + 1)).is_mql
    assert default_model(value + 1).version == f"default-2+mql{value + 1}"


def test_a_rule_case_needs_what_it_compares() -> None:
    with pytest.raises(ValueError, match="needs values"):
        RuleCase(when="words", points=1)
    with pytest.raises(ValueError, match="needs min or max"):
        RuleCase(when="range", points=1)
