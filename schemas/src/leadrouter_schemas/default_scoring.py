"""The model for campaigns that set none: a B2B profile that both Marketing and
Sales can read. Points are expert guesses (``origin="expert"``) until a model
calibrated from won/lost outcomes replaces them.

Data shared by both services: the scorer scores with it, the router fits
calibrated versions of its rules (docs/decisions/0202-scoring-model-as-data.md).
"""

from leadrouter_schemas.campaigns import RuleCase, ScoringModel, ScoringRule

DEFAULT_MODEL_VERSION = "default-2"


def _words(points: float, label: str, *values: str) -> RuleCase:
    return RuleCase(when="words", values=values, points=points, label=label)


def _range(points: float, label: str, low: float | None, high: float | None) -> RuleCase:
    return RuleCase(when="range", min=low, max=high, points=points, label=label)


def _present(points: float, label: str) -> RuleCase:
    return RuleCase(when="present", points=points, label=label)


FIT_RULES = (
    ScoringRule(
        rule="company size",
        axis="fit",
        input="company.employees",
        cases=(
            _range(30, "1000+ employees", 1000, None),
            _range(25, "200-999 employees", 200, 1000),
            _range(15, "50-199 employees", 50, 200),
            _range(5, "10-49 employees", 10, 50),
            _range(0, "under 10 employees", None, 10),
        ),
    ),
    ScoringRule(
        rule="industry",
        axis="fit",
        input="company.industry",
        cases=(
            _words(15, "target industry", "software", "saas", "technology", "fintech"),
            _words(10, "adjacent industry", "financial", "manufacturing", "telecommunications"),
            _present(3, "other industry"),
        ),
    ),
    ScoringRule(
        rule="role and seniority",
        axis="fit",
        input="contact.job_title",
        cases=(
            _words(35, "executive", "ceo", "cto", "cfo", "coo", "cio", "founder", "owner"),
            _words(35, "executive", "chief", "president", "partner"),
            _words(25, "vice president or head", "vp", "svp", "head"),
            _words(20, "director", "director"),
            _words(12, "manager or lead", "manager", "lead"),
            _words(-10, "student", "student", "intern"),
            _present(5, "other role"),
        ),
    ),
    ScoringRule(
        rule="country",
        axis="fit",
        input="contact.country",
        cases=(_present(10, "country known"),),
    ),
    ScoringRule(
        rule="product line",
        axis="fit",
        input="answers.product",
        cases=(_present(10, "product line named"),),
    ),
)

INTENT_RULES = (
    ScoringRule(
        rule="campaign type",
        axis="intent",
        input="campaign.kind",
        cases=(
            _words(25, "demo request campaign", "demo_request", "trial"),
            _words(15, "event or webinar", "webinar", "event"),
            _words(5, "content campaign", "content", "whitepaper", "newsletter"),
        ),
    ),
    ScoringRule(
        rule="requested action",
        axis="intent",
        input="answers.interest",
        cases=(
            _words(40, "demo or trial", "demo", "trial"),
            _words(35, "quote or pricing", "quote", "pricing", "price", "buy"),
            _words(20, "contact request", "contact", "call", "meeting"),
            _words(5, "download", "download", "whitepaper", "ebook", "report"),
            _present(5, "other request"),
        ),
    ),
    ScoringRule(
        rule="stated budget",
        axis="intent",
        input="answers.budget",
        cases=(
            _words(0, "no budget", "none", "no", "unknown"),
            _present(15, "budget stated"),
        ),
    ),
    ScoringRule(
        rule="timeline",
        axis="intent",
        input="answers.timeline",
        cases=(
            _words(20, "buying now", "now", "immediately", "asap", "this quarter", "this month"),
            _words(10, "within months", "next quarter", "months", "this year"),
            _present(0, "later or undecided"),
        ),
    ),
)

DEFAULT_MODEL = ScoringModel(
    version=DEFAULT_MODEL_VERSION,
    mql_threshold=50,
    rules=FIT_RULES + INTENT_RULES,
    fit_weight=0.5,
    recency_half_life_hours=72.0,
)
