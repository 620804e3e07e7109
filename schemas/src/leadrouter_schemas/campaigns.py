"""Campaign configuration, owned by the router and read by the scorer.

Published on the compacted ``config.campaigns`` topic keyed by campaign id, so
the latest version of each campaign is always there to replay; a tombstone
(null value) removes a campaign.

Everything here is declarative data: the scorer interprets it, no code travels.
The scoring model's points are plain numbers so that a later calibration from
won/lost outcomes can publish a new model version with other numbers, in the
same shape (docs/decisions/0202-scoring-model-as-data.md).
"""

from typing import Final, Literal

from pydantic import Field, model_validator

from leadrouter_schemas.envelope import Contract, Event
from leadrouter_schemas.leads import CountryCode

# Where marketing consent must be recorded before a salesperson may follow up:
# the EU/EEA and the UK (GDPR art. 6-7, ePrivacy art. 13) and Canada (CASL s. 6).
CONSENT_COUNTRIES: Final[tuple[str, ...]] = (
    *("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE"),
    *("IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"),
    *("IS", "LI", "NO"),  # EEA outside the EU
    "GB",
    "CA",
)

# Role mailboxes (RFC 2142 section 3-5, plus common sales-side aliases): they reach
# a team, not the person who filled the form.
ROLE_MAILBOXES: Final[tuple[str, ...]] = (
    *("abuse", "admin", "administrator", "billing", "contact", "hello", "help", "hostmaster"),
    *("info", "marketing", "news", "noc", "noreply", "no-reply", "office", "postmaster"),
    *("sales", "security", "support", "team", "usenet", "uucp", "webmaster", "www"),
)


class ConsentRule(Contract):
    """Consent is required from leads of ``countries``, with its proof."""

    countries: tuple[CountryCode, ...] = CONSENT_COUNTRIES
    proof_required: bool = Field(
        default=True,
        description="Consent needs its wording (text or form version), its time and its IP.",
    )


class SpamSignals(Contract):
    """Signs that a person did not fill the form: bots and test submissions."""

    honeypot_fields: tuple[str, ...] = Field(
        default=("website_url", "hp"),
        description="Hidden form fields (keys of `answers`) that a person leaves empty.",
    )
    test_values: tuple[str, ...] = Field(
        default=("test@test.com", "test@example.com", "asdf@asdf.com", "asdf", "test", "qwerty"),
        description="Known test inputs, compared case-insensitively with the e-mail, "
        "names and company name.",
    )
    min_submit_seconds: float | None = Field(
        default=3.0,
        ge=0,
        description="A form submitted faster than this after it was shown (`form_started_at`)"
        " was not filled by a person; null turns the check off.",
    )


class ValidationCriteria(Contract):
    """Declarative checks the scorer applies before scoring; data, not code."""

    required_fields: tuple[str, ...] = Field(
        default=("contact.email",),
        description="Dotted paths into the lead. `contact.phone` here also makes an "
        "invalid phone a rejection (otherwise a warning).",
    )
    reject_disposable_email: bool = True
    reject_role_email: bool = False
    role_mailboxes: tuple[str, ...] = ROLE_MAILBOXES
    reject_free_email: bool = Field(
        default=False, description="For B2B campaigns: gmail.com and the like are rejected."
    )
    countries_served: tuple[CountryCode, ...] = Field(
        default=(), description="Empty: every country. Otherwise the lead's country is required."
    )
    consent: ConsentRule = ConsentRule()
    spam: SpamSignals = SpamSignals()


Axis = Literal["fit", "intent"]


class RuleCase(Contract):
    """One way an input can match, and the points it gives. The first match wins.

    ``equals``: the input is one of ``values`` (case-insensitive);
    ``words``: the input contains one of ``values`` as whole words;
    ``range``: the input is a number in [``min``, ``max``);
    ``present``: the input is there at all.
    """

    when: Literal["equals", "words", "range", "present"]
    values: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    points: float
    label: str | None = Field(default=None, description="Shown in the explanation.")

    @model_validator(mode="after")
    def _consistent(self) -> "RuleCase":
        if self.when in ("equals", "words") and not self.values:
            raise ValueError(f"a `{self.when}` case needs values")
        if self.when == "range" and self.min is None and self.max is None:
            raise ValueError("a `range` case needs min or max")
        return self


class ScoringRule(Contract):
    """Looks at one input of the lead and gives the points of its first matching case."""

    rule: str = Field(min_length=1, description="Name shown in the explanation.")
    axis: Axis
    input: str = Field(
        min_length=1,
        description="Dotted path: `contact.*`, `company.*`, `answers.<key>` or `campaign.kind`.",
    )
    cases: tuple[RuleCase, ...] = Field(min_length=1)


class ScoringModel(Contract):
    """Weights and rules of a campaign's value score (versioned)."""

    version: str = Field(min_length=1, description="Travels in every score made with it.")
    mql_threshold: int = Field(default=50, ge=0, le=100)
    rules: tuple[ScoringRule, ...] = ()
    fit_weight: float = Field(default=0.5, ge=0, le=1, description="intent weighs 1 - fit_weight")
    grade_thresholds: tuple[int, int, int] = Field(
        default=(75, 50, 25), description="Lowest value of grades A, B and C; below is D."
    )
    recency_half_life_hours: float | None = Field(
        default=72.0,
        gt=0,
        description="Intent halves for every half-life between submission and receipt.",
    )
    origin: Literal["expert", "calibrated"] = Field(
        default="expert", description="Written by people, or fitted to won/lost outcomes."
    )


class Campaign(Contract):
    campaign_id: str = Field(min_length=1, max_length=200)
    name: str
    active: bool = True
    version: int = Field(ge=1, description="Increases with every change.")
    kind: str | None = Field(
        default=None,
        description="Campaign type, an input of the intent axis "
        "(e.g. `demo_request`, `webinar`, `content`).",
    )
    forms: tuple[str, ...] = Field(
        default=(), description="Known form ids; empty accepts any form."
    )
    criteria: ValidationCriteria = ValidationCriteria()
    scoring: ScoringModel | None = Field(
        default=None, description="Null: the scorer's default model."
    )


class CampaignConfiguredData(Contract):
    campaign: Campaign


class CampaignConfigured(Event):
    type: Literal["campaign.configured"] = "campaign.configured"
    schema_version: Literal[1] = 1
    data: CampaignConfiguredData
