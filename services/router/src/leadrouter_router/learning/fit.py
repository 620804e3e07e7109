"""A scoring model calibrated by outcomes, as pure functions over closed leads.

The candidate keeps the campaign's explainable rules: each rule case that a lead
hit (an explanation line, ``rule: label``) is a feature, and so is the lead's
platform (a ``lead source`` rule is added when the model has none). A logistic
regression (scikit-learn) fits the chance of winning from them; each case's
points are its fitted weight, scaled, so every point of an explanation still
names its rule. An isotonic regression then maps the candidate's score (0-100)
to a probability of winning.

Evaluation is honest: the leads are ordered by reception; the model and its
calibration learn on the older ones and are measured on the newer ones
(:data:`HOLDOUT_SHARE`). The current model is measured on the same newer leads,
its stored scores calibrated on the same older ones.
docs/decisions/0608-scores-calibrated-by-outcomes.md.

scikit-learn is imported where it is used: with SciPy it is half of the router's
import time, and a restarted router must consume again within seconds (#15). The
use cases import this module only where they fit or evaluate: NumPy is a tenth of
the rest. The values a fit takes and gives are in :mod:`.examples`.
"""

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Final

import numpy as np
from numpy.typing import NDArray

from leadrouter_router.learning.examples import (
    HOLDOUT_SHARE,
    Decile,
    Evaluation,
    Example,
    Fitted,
    Metrics,
    check_enough,
    split,
)
from leadrouter_schemas import RuleCase, ScoringModel, ScoringRule

SOURCE_RULE: Final = "lead source"
SOURCE_INPUT: Final = "source"
TOP_SHARE: Final = 0.2


def case_name(rule: ScoringRule, case: RuleCase) -> str:
    """The explanation line of a case, as the scorer writes it."""
    return f"{rule.rule}: {case.label}" if case.label else rule.rule


def _with_source_rule(model: ScoringModel, sources: Sequence[str]) -> ScoringModel:
    if any(rule.input == SOURCE_INPUT for rule in model.rules) or not sources:
        return model
    rule = ScoringRule(
        rule=SOURCE_RULE,
        axis="fit",
        input=SOURCE_INPUT,
        cases=tuple(
            RuleCase(when="equals", values=(source,), points=0, label=source)
            for source in sorted(sources)
        ),
    )
    return model.model_copy(update={"rules": (*model.rules, rule)})


def _hits(example: Example, adds_source: bool) -> tuple[str, ...]:
    if adds_source:
        return (*example.hits, f"{SOURCE_RULE}: {example.source}")
    return example.hits


def fit(examples: Sequence[Example], current: ScoringModel, *, version: str) -> Fitted:
    """A candidate of ``current`` fitted to ``examples``, evaluated against it."""
    check_enough(examples)
    train, test = split(examples)
    adds_source = not any(rule.input == SOURCE_INPUT for rule in current.rules)
    shape = _with_source_rule(current, sorted({e.source for e in train}))
    names = sorted({case_name(r, c) for r in shape.rules for c in r.cases})
    column = {name: i for i, name in enumerate(names)}

    def matrix(rows: Sequence[Example]) -> NDArray[np.float64]:
        x = np.zeros((len(rows), len(names)))
        for i, example in enumerate(rows):
            for hit in _hits(example, adds_source):
                if hit in column:
                    x[i, column[hit]] = 1.0
        return x

    from sklearn.linear_model import LogisticRegression

    x_train, y_train = matrix(train), np.array([e.won for e in train], dtype=float)
    regression = LogisticRegression(C=1.0, max_iter=2000)
    regression.fit(x_train, y_train)
    weights = _shifted(shape, dict(zip(names, regression.coef_[0], strict=True)), x_train, column)
    model = _points(shape, weights, x_train, column, version=version)

    def scores(rows: Sequence[Example]) -> NDArray[np.float64]:
        return np.array([candidate_score(model, _hits(e, adds_source)) for e in rows], dtype=float)

    train_scores = scores(train)
    model = _same_shares(model, current, train_scores, [e.score for e in train])
    calibration = _calibration(train_scores, y_train)
    y_test = np.array([e.won for e in test], dtype=float)
    candidate_scores = scores(test)
    as_scored, _ = evaluate_scores(
        [e.received_at for e in examples], [e.score for e in examples], [e.won for e in examples]
    )
    evaluation = Evaluation(
        trained_on=len(train),
        tested_on=len(test),
        holdout_from=test[0].received_at,
        win_rate=float(y_test.mean()),
        current=as_scored,
        candidate=measure(candidate_scores, _apply(calibration, candidate_scores), y_test),
    )
    return Fitted(model=model, calibration=calibration, evaluation=evaluation)


def _shifted(
    shape: ScoringModel,
    weights: dict[str, float],
    x: NDArray[np.float64],
    column: dict[str, int],
) -> dict[str, float]:
    """A rule that every lead hits (one of its cases) may move all its weights by the
    same amount without changing any ranking: its lowest case is set to 0, so that
    the axes' sums stay above 0, where the scorer clamps them."""
    shifted = dict(weights)
    for rule in shape.rules:
        names = sorted({case_name(rule, case) for case in rule.cases})
        hit = x[:, [column[n] for n in names]].sum(axis=1)
        if len(hit) and hit.min() >= 1:
            seen = [n for n in names if x[:, column[n]].any()]
            lowest = min(weights[n] for n in seen)
            for name in names:
                # A case no training lead hit has no evidence: no points.
                shifted[name] = weights[name] - lowest if name in seen else 0.0
    return shifted


def _points(
    shape: ScoringModel,
    weights: dict[str, float],
    x: NDArray[np.float64],
    column: dict[str, int],
    *,
    version: str,
) -> ScoringModel:
    """Points proportional to the weights, and the axes' weighting, chosen so that the
    value stays linear in the weights: ``fit_weight * fit`` and ``(1 - fit_weight) *
    intent`` carry the same scale, and the 99th percentile of either axis stays
    under 100 (the scorer clamps each axis to 0-100)."""
    per_axis = {}
    for axis in ("fit", "intent"):
        vector = np.zeros(x.shape[1])
        for rule in shape.rules:
            if rule.axis == axis:
                for case in rule.cases:
                    name = case_name(rule, case)
                    vector[column[name]] = weights.get(name, 0.0)
        per_axis[axis] = max(float(np.percentile(x @ vector, 99)), 1e-6)
    high_fit, high_intent = per_axis["fit"], per_axis["intent"]
    fit_weight = high_fit / (high_fit + high_intent)
    scale = 100 / (high_fit + high_intent)
    points = {"fit": scale / fit_weight, "intent": scale / (1 - fit_weight)}
    rules = tuple(
        rule.model_copy(
            update={
                "cases": tuple(
                    case.model_copy(
                        update={
                            "points": round(
                                points[rule.axis] * weights.get(case_name(rule, case), 0.0), 1
                            )
                        }
                    )
                    for case in rule.cases
                )
            }
        )
        for rule in shape.rules
    )
    return shape.model_copy(
        update={
            "version": version,
            "rules": rules,
            "fit_weight": round(fit_weight, 3),
            "origin": "calibrated",
        }
    )


def _threshold(scores: NDArray[np.float64], share: float) -> int:
    """The lowest score that at most ``share`` of ``scores`` reach or pass."""
    for value in range(101):
        if float((scores >= value).mean()) <= share:
            return value
    return 100


def _same_shares(
    model: ScoringModel,
    current: ScoringModel,
    scores: NDArray[np.float64],
    stored: Sequence[int],
) -> ScoringModel:
    """Grade and MQL thresholds that give, on the training leads, the shares of A, B
    and C leads and of MQLs that the current model gave: Sales gets as many MQLs as
    before, better chosen, and a promotion does not flood or starve anyone."""
    before = np.array(stored, dtype=float)

    def matched(old: int) -> int:
        return _threshold(scores, float((before >= old).mean()))

    a, b, c = current.grade_thresholds
    return model.model_copy(
        update={
            "grade_thresholds": (matched(a), matched(b), matched(c)),
            "mql_threshold": matched(current.mql_threshold),
        }
    )


def candidate_score(model: ScoringModel, hits: Sequence[str]) -> int:
    """The value ``model`` gives a lead with these explanation lines, as the scorer
    computes it (each axis clamped to 0-100, halves added), before recency decay."""
    points = {case_name(r, c): (r.axis, c.points) for r in model.rules for c in r.cases}
    fit = intent = 0.0
    for hit in hits:
        axis, value = points.get(hit, ("fit", 0.0))
        if axis == "fit":
            fit += value
        else:
            intent += value
    fit, intent = min(100.0, max(0.0, fit)), min(100.0, max(0.0, intent))
    return round(model.fit_weight * fit + (1 - model.fit_weight) * intent)


def evaluate_scores(
    received: Sequence[datetime], scores: Sequence[int], won: Sequence[bool]
) -> tuple[Metrics, int]:
    """How well stored scores rank and, calibrated on the older leads, predict the
    newer ones (the current model's half of :func:`fit`, from three columns);
    also the number of test leads."""
    order = sorted(range(len(scores)), key=lambda i: received[i])
    cut = len(order) - max(1, round(len(order) * HOLDOUT_SHARE))
    values = np.array([scores[i] for i in order], dtype=float)
    outcome = np.array([won[i] for i in order], dtype=float)
    table = _calibration(values[:cut], outcome[:cut])
    return measure(values[cut:], _apply(table, values[cut:]), outcome[cut:]), len(order) - cut


def _calibration(scores: NDArray[np.float64], won: NDArray[np.float64]) -> tuple[float, ...]:
    """Probability of winning for each score 0-100 (isotonic: never lower for a
    higher score)."""
    from sklearn.isotonic import IsotonicRegression

    isotonic = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    isotonic.fit(scores, won)
    table = isotonic.predict(np.arange(101, dtype=float))
    return tuple(round(float(p), 4) for p in table)


def _apply(calibration: Sequence[float], scores: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.array([calibration[int(min(100, max(0, s)))] for s in scores], dtype=float)


def measure(
    scores: NDArray[np.float64], predicted: NDArray[np.float64], won: NDArray[np.float64]
) -> Metrics:
    """AUC of the scores, Brier score and calibration of the probabilities, and the
    lift of the top fifth by score."""
    from sklearn.metrics import brier_score_loss, roc_auc_score

    deciles = calibration_by_decile(scores, predicted, won)
    total = sum(d.leads for d in deciles)
    error = sum(d.leads * abs(d.predicted - d.observed) for d in deciles) / total
    order = np.argsort(-scores, kind="stable")
    top = order[: max(1, math.ceil(len(order) * TOP_SHARE))]
    rate = float(won.mean())
    both = 0 < won.sum() < len(won)
    return Metrics(
        auc=round(float(roc_auc_score(won, scores)), 4) if both else None,
        brier=round(float(brier_score_loss(won, predicted)), 4),
        calibration_error=round(error, 4),
        lift_top_20=round(float(won[top].mean()) / rate, 3) if rate else None,
        deciles=deciles,
    )


def calibration_by_decile(
    scores: NDArray[np.float64], predicted: NDArray[np.float64], won: NDArray[np.float64]
) -> tuple[Decile, ...]:
    """Leads in ten groups of equal size by score (ties kept apart by order), lowest
    first: the mean predicted probability and the observed win rate of each."""
    order = np.argsort(scores, kind="stable")
    groups = [g for g in np.array_split(order, 10) if len(g)]
    return tuple(
        Decile(
            predicted=round(float(predicted[g].mean()), 4),
            observed=round(float(won[g].mean()), 4),
            leads=len(g),
        )
        for g in groups
    )
