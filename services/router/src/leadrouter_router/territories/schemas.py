import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from leadrouter_schemas.leads import CountryCode


class TerritoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    countries: list[CountryCode] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    postal_prefixes: list[str] = Field(default_factory=list)


class TerritoryOut(TerritoryIn):
    model_config = ConfigDict(extra="ignore", from_attributes=True)

    id: uuid.UUID
    created_at: datetime


class TerritoryList(BaseModel):
    items: list[TerritoryOut]
