"""Value score: a pure function of the lead and the campaign's scoring model.

This first model counts what the lead tells about who they are (fit) and what
they asked for (intent); every point is explained. Campaign-specific weights
and rules replace it without changing the shape (see the scorer issue).
"""

from leadrouter_schemas import Grade, Lead, Score, ScoreContribution, ScoringModel

_FIT_RULES: tuple[tuple[str, str, int], ...] = (
    ("company.name", "company named", 20),
    ("company.domain", "company domain known", 15),
    ("company.employees", "company size known", 15),
    ("contact.job_title", "role known", 25),
    ("contact.country", "country known", 15),
    ("contact.phone", "phone given", 10),
)


def _present(lead: Lead, path: str) -> str | None:
    section, name = path.split(".")
    value = getattr(getattr(lead, section), name)
    return None if value in (None, "") else str(value)


def grade_of(value: int) -> Grade:
    if value >= 75:
        return "A"
    if value >= 50:
        return "B"
    if value >= 25:
        return "C"
    return "D"


def score(lead: Lead, model: ScoringModel) -> Score:
    explanation: list[ScoreContribution] = []
    for path, rule, points in _FIT_RULES:
        seen = _present(lead, path)
        if seen is not None:
            explanation.append(ScoreContribution(rule=rule, axis="fit", input=seen, points=points))
    answered = len(lead.answers)
    if answered:
        explanation.append(
            ScoreContribution(
                rule="questions answered",
                axis="intent",
                input=str(answered),
                points=min(100, 25 * answered),
            )
        )
    fit = min(100, round(sum(c.points for c in explanation if c.axis == "fit")))
    intent = min(100, round(sum(c.points for c in explanation if c.axis == "intent")))
    value = round(0.6 * fit + 0.4 * intent)
    return Score(
        value=value,
        grade=grade_of(value),
        fit=fit,
        intent=intent,
        is_mql=value >= model.mql_threshold,
        model_version=model.version,
        explanation=tuple(explanation),
    )
