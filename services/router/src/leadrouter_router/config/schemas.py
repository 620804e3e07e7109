"""The whole routing set-up as one document (YAML on the wire): teams, salespeople,
territories, policies and campaigns, referring to each other by name and e-mail."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from leadrouter_router.campaigns.schemas import CampaignIn
from leadrouter_router.policies.policy import PolicyDocument
from leadrouter_router.salespeople.schemas import SalespersonIn, TeamIn
from leadrouter_router.territories.schemas import TerritoryIn


class NamedPolicy(PolicyDocument):
    name: str = Field(min_length=1, max_length=200)


class SetupDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    teams: list[TeamIn] = Field(default_factory=list)
    salespeople: list[SalespersonIn] = Field(default_factory=list)
    territories: list[TerritoryIn] = Field(default_factory=list)
    policies: list[NamedPolicy] = Field(default_factory=list)
    campaigns: list[CampaignIn] = Field(default_factory=list)


class ImportResult(BaseModel):
    teams: int
    salespeople: int
    territories: int
    policies: int
    campaigns: int
    pruned: int = Field(description="Things not in the document that were removed or ended.")
