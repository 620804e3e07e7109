"""Campaign configuration, owned by the router and read by the scorer.

Published on the compacted ``config.campaigns`` topic keyed by campaign id, so
the latest version of each campaign is always there to replay; a tombstone
(null value) removes a campaign.
"""

from typing import Literal

from pydantic import Field

from leadrouter_schemas.envelope import Contract, Event


class ValidationCriteria(Contract):
    """Declarative checks the scorer applies before scoring; data, not code."""

    required_fields: tuple[str, ...] = Field(
        default=("contact.email",), description="Dotted paths into the lead."
    )


class ScoringModel(Contract):
    """Weights and rules of a campaign's value score (versioned)."""

    version: str = Field(min_length=1)
    mql_threshold: int = Field(default=50, ge=0, le=100)


class Campaign(Contract):
    campaign_id: str = Field(min_length=1, max_length=200)
    name: str
    active: bool = True
    version: int = Field(ge=1, description="Increases with every change.")
    criteria: ValidationCriteria = ValidationCriteria()
    scoring: ScoringModel


class CampaignConfiguredData(Contract):
    campaign: Campaign


class CampaignConfigured(Event):
    type: Literal["campaign.configured"] = "campaign.configured"
    schema_version: Literal[1] = 1
    data: CampaignConfiguredData
