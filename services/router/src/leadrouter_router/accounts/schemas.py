import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=300)
    domains: list[str] = Field(default_factory=list, description="e.g. engines.example")
    owner_id: uuid.UUID | None = Field(default=None, description="The salesperson who owns it.")


class AccountOut(AccountIn):
    model_config = ConfigDict(extra="ignore", from_attributes=True)

    id: uuid.UUID
    created_at: datetime


class AccountList(BaseModel):
    items: list[AccountOut]
