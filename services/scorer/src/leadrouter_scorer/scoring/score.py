"""Value score: a pure function of the lead, its campaign and the scoring model.

Each rule of the model looks at one input and gives the points of its first
matching case, on the fit axis (who they are) or the intent axis (what they
did). Each axis is the sum of its points, clamped to 0-100; intent then decays
with the time between submission and receipt (a half-life), and the combined
value weighs the two axes. Every point is one line of the explanation.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from leadrouter_schemas import Grade, Lead, Score, ScoreContribution, ScoringModel
from leadrouter_schemas.campaigns import Axis
from leadrouter_scorer.scoring.validation import getter

RECENCY_RULE = "recency decay"
CAMPAIGN_KIND = "campaign.kind"
_MEMO_SIZE = 4096
_WORDS = re.compile(r"[^\W_]+")


def grade_of(value: int, thresholds: tuple[int, int, int] = (75, 50, 25)) -> Grade:
    a, b, c = thresholds
    if value >= a:
        return "A"
    if value >= b:
        return "B"
    if value >= c:
        return "C"
    return "D"


def _words(text: str) -> str:
    return " " + " ".join(_WORDS.findall(text.casefold())) + " "


@dataclass(frozen=True, slots=True)
class _Case:
    """A rule case prepared once per model: values folded, the label resolved."""

    when: str
    values: frozenset[str] | tuple[str, ...]
    low: float | None
    high: float | None
    points: float
    rule: str


# A rule's contribution for one input: the explanation line, whether it counts
# on the fit axis, and its points; None when no case matched.
_Found = tuple[ScoreContribution, bool, float] | None


@dataclass(slots=True, eq=False)
class _Rule:
    axis: Axis
    # Reads the rule's input from a lead; None for ``campaign.kind``, which is the
    # campaign's, not the lead's. Resolved once per model, not per lead.
    read: Callable[[Lead], object] | None
    cases: tuple[_Case, ...]
    # What each input seen contributes. Inputs repeat (titles, countries, answers)
    # and contributions are immutable: one instance serves every such lead.
    memo: dict[str, _Found] = field(default_factory=dict)

    def learn(self, seen: str) -> _Found:
        case = _first_match(self, seen)
        found: _Found = None
        if case is not None:
            line = ScoreContribution(rule=case.rule, axis=self.axis, input=seen, points=case.points)
            found = line, line.axis == "fit", line.points
        if len(self.memo) >= _MEMO_SIZE:
            self.memo.clear()
        self.memo[seen] = found
        return found


def _prepare(model: ScoringModel) -> tuple[_Rule, ...]:
    rules = []
    for rule in model.rules:
        cases = []
        for case in rule.cases:
            values: frozenset[str] | tuple[str, ...] = (
                tuple(_words(v) for v in case.values)
                if case.when == "words"
                else frozenset(v.casefold() for v in case.values)
            )
            name = f"{rule.rule}: {case.label}" if case.label else rule.rule
            cases.append(_Case(case.when, values, case.min, case.max, case.points, name))
        read = None if rule.input == CAMPAIGN_KIND else getter(rule.input)
        rules.append(_Rule(rule.axis, read, tuple(cases)))
    return tuple(rules)


# Prepared rules by model identity (models are immutable); a handful of models
# live at a time, one per configured campaign.
_prepared: dict[int, tuple[ScoringModel, tuple[_Rule, ...]]] = {}


def _rules_of(model: ScoringModel) -> tuple[_Rule, ...]:
    entry = _prepared.get(id(model))
    if entry is None or entry[0] is not model:
        if len(_prepared) > 1024:
            _prepared.clear()
        entry = _prepared[id(model)] = (model, _prepare(model))
    return entry[1]


def _first_match(rule: _Rule, seen: str) -> _Case | None:
    words = folded = None
    number: float | None = None
    for case in rule.cases:
        if case.when == "present":
            return case
        if case.when == "equals":
            folded = folded or seen.strip().casefold()
            if folded in case.values:
                return case
        elif case.when == "words":
            # Whole words only: "cto" must not match "director".
            words = words or _words(seen)
            if any(value in words for value in case.values):
                return case
        else:
            if number is None:
                try:
                    number = float(seen)
                except ValueError:
                    continue
            if (case.low is None or number >= case.low) and (
                case.high is None or number < case.high
            ):
                return case
    return None


def _clamp(points: float) -> float:
    return min(100.0, max(0.0, points))


def score(
    lead: Lead,
    model: ScoringModel,
    *,
    campaign_kind: str | None = None,
    age: timedelta = timedelta(0),
) -> Score:
    """Score ``lead``; ``age`` is how old the response was when it was received
    (the event's own times, so a redelivery scores the same)."""
    explanation: list[ScoreContribution] = []
    fit = intent = 0.0
    for rule in _rules_of(model):
        value = campaign_kind if rule.read is None else rule.read(lead)
        if value is None or value == "":
            continue
        seen = str(value)
        try:
            found = rule.memo[seen]
        except KeyError:
            found = rule.learn(seen)
        if found is not None:
            line, on_fit, points = found
            explanation.append(line)
            if on_fit:
                fit += points
            else:
                intent += points
    fit = _clamp(fit)
    intent = _clamp(intent)
    hours = max(0.0, age.total_seconds() / 3600)
    if model.recency_half_life_hours is not None and intent > 0 and hours > 0:
        decayed = intent * 0.5 ** (hours / model.recency_half_life_hours)
        explanation.append(
            ScoreContribution(
                rule=RECENCY_RULE,
                axis="intent",
                input=f"{hours:.1f}h old, half-life {model.recency_half_life_hours:g}h",
                points=round(decayed - intent, 2),
            )
        )
        intent = decayed
    value = round(model.fit_weight * fit + (1 - model.fit_weight) * intent)
    return Score(
        value=value,
        grade=grade_of(value, model.grade_thresholds),
        fit=round(fit),
        intent=round(intent),
        is_mql=value >= model.mql_threshold,
        model_version=model.version,
        explanation=tuple(explanation),
    )
