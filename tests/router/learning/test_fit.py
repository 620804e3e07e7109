"""The fit recovers what the demo history planted (pure: generated stories, no database)."""

from datetime import UTC, datetime, timedelta
from functools import cache

import pytest
from sklearn.metrics import roc_auc_score

from leadrouter_cli.history.model import Story, rule_hits
from leadrouter_router.learning.examples import (
    MIN_CLOSED,
    Example,
    Fitted,
    NotEnoughOutcomesError,
    split,
)
from leadrouter_router.learning.fit import SOURCE_RULE, candidate_score, case_name, fit
from leadrouter_schemas.default_scoring import DEFAULT_MODEL
from leadrouter_scorer.scoring.score import score
from tests.support.history import large_history


def example(story: Story) -> Example:
    return Example(
        received_at=story.received_at,
        hits=rule_hits(story.data),
        source=story.data.lead.source,
        score=story.data.score.value,
        won=story.outcome == "won",
    )


@cache
def _closed(campaign_id: str) -> tuple[Story, ...]:
    return tuple(s for s in large_history() if s.outcome and s.campaign.campaign_id == campaign_id)


@cache
def _fitted(campaign_id: str) -> Fitted:
    return fit([example(s) for s in _closed(campaign_id)], DEFAULT_MODEL, version="test-cal1")


@pytest.mark.parametrize("campaign_id", ["spring-demo", "whitepaper-2026"])
def test_the_candidate_ranks_the_hold_out_nearly_as_well_as_the_planted_model(
    campaign_id: str,
) -> None:
    stories = _closed(campaign_id)
    by_time = {s.received_at: s for s in stories}
    _, test = split([example(s) for s in stories])
    planted = roc_auc_score([e.won for e in test], [by_time[e.received_at].win_logit for e in test])
    candidate = _fitted(campaign_id).evaluation.candidate
    assert candidate.auc is not None
    assert abs(candidate.auc - planted) < 0.02, (candidate.auc, planted)
    assert candidate.calibration_error < 0.05
    assert candidate.lift_top_20 is not None
    assert candidate.lift_top_20 > 1.5


def test_the_candidate_is_compared_with_the_current_model_on_the_same_newer_leads() -> None:
    evaluation = _fitted("spring-demo").evaluation
    stories = _closed("spring-demo")
    newest = max(s.received_at for s in stories)
    assert evaluation.trained_on + evaluation.tested_on == len(stories)
    assert evaluation.tested_on == round(len(stories) * 0.25)
    assert evaluation.holdout_from <= newest
    assert all(
        len(m.deciles) == 10 and sum(d.leads for d in m.deciles) == evaluation.tested_on
        for m in (evaluation.current, evaluation.candidate)
    )
    # The expert model overrates what the history made worthless (a known country)
    # and underrates what wins (a budget, a timeline): the fit does better.
    assert evaluation.candidate.auc is not None
    assert evaluation.current.auc is not None
    assert evaluation.candidate.auc > evaluation.current.auc
    assert evaluation.candidate.brier < evaluation.current.brier


def test_each_point_of_the_candidate_names_its_rule_and_the_scorer_agrees() -> None:
    model = _fitted("spring-demo").model
    assert model.origin == "calibrated"
    assert model.version == "test-cal1"
    names = [rule.rule for rule in model.rules]
    assert names == [rule.rule for rule in DEFAULT_MODEL.rules] + [SOURCE_RULE]
    points = {case_name(r, c): c.points for r in model.rules for c in r.cases}
    assert points["timeline: buying now"] > points["timeline: within months"] > 0
    assert points["role and seniority: student"] < 0
    assert points[f"{SOURCE_RULE}: hubspot"] > points[f"{SOURCE_RULE}: facebook"]
    # Every lead of the campaign is a demo request: the other campaign types were never
    # seen, and get no points.
    assert points["campaign type: event or webinar"] == 0
    assert points["campaign type: content campaign"] == 0
    for story in _closed("spring-demo")[:300]:
        lead = story.data.lead
        assert lead.received_at is not None
        scored = score(
            lead, model, campaign_kind=story.campaign.kind, age=lead.received_at - lead.submitted_at
        )
        hits = (*rule_hits(story.data), f"{SOURCE_RULE}: {lead.source}")
        assert abs(scored.value - candidate_score(model, hits)) <= 1
        assert {line.rule for line in scored.explanation} >= set(hits) - {
            h for h in hits if points.get(h) == 0
        }


def test_the_candidate_keeps_the_shares_of_mqls_and_grades_on_the_training_leads() -> None:
    fitted = _fitted("spring-demo")
    stories = _closed("spring-demo")
    train, _ = split([example(s) for s in stories])
    model = fitted.model
    hits = {e.received_at: (*e.hits, f"{SOURCE_RULE}: {e.source}") for e in train}
    after = [candidate_score(model, hits[e.received_at]) for e in train]
    before = [e.score for e in train]

    def share(values: list[int], threshold: int) -> float:
        return sum(v >= threshold for v in values) / len(values)

    assert model.mql_threshold != DEFAULT_MODEL.mql_threshold or model.grade_thresholds != (
        DEFAULT_MODEL.grade_thresholds
    )
    pairs = [(model.mql_threshold, DEFAULT_MODEL.mql_threshold)]
    pairs += list(zip(model.grade_thresholds, DEFAULT_MODEL.grade_thresholds, strict=True))
    for new, old in pairs:
        assert share(after, new) <= share(before, old)
        assert share(after, new) > share(before, old) - 0.05


def test_calibration_is_never_lower_for_a_higher_score() -> None:
    table = _fitted("whitepaper-2026").calibration
    assert len(table) == 101
    assert list(table) == sorted(table)
    assert 0 <= table[0] < table[100] <= 1


def test_below_the_minimum_of_closed_leads_the_fit_refuses() -> None:
    at = datetime(2026, 11, 1, tzinfo=UTC)
    few = [
        Example(at + timedelta(minutes=n), ("timeline: buying now",), "generic", 50, n % 3 == 0)
        for n in range(MIN_CLOSED - 1)
    ]
    with pytest.raises(NotEnoughOutcomesError, match=r"499 closed leads \(167 won\).*at least 500"):
        fit(few, DEFAULT_MODEL, version="x")
    one_sided = [Example(at, (), "generic", 50, False)] * 1000
    with pytest.raises(NotEnoughOutcomesError, match="50 won"):
        fit(one_sided, DEFAULT_MODEL, version="x")
