"""Faults the simulator can play, set at run time (``PUT /control/faults``).

Each is a way real CRMs fail that the router must survive (docs/crm.md, retries):

- ``error``: answer ``status`` (a 5xx) and record nothing;
- ``rate_limit``: answer 429 with ``Retry-After: <retry_after_s>`` and record nothing
  (RFC 9110 §10.2.3; HubSpot and Salesforce both answer so when over their limits);
- ``slow``: wait ``delay_s``, then record and answer as usual;
- ``hang``: record, then hold the answer for ``delay_s``: with a delay past the
  router's read timeout, the CRM has the assignment but the router never hears it,
  and its retry must carry the same idempotency key;
- ``lost_answer``: record, then answer ``status`` (a gateway between lost the CRM's
  answer): the same lesson without the wait (HubSpot and Salesforce endpoints).

``path``, when set, limits the fault to requests whose path contains it (e.g.
``notes/batch/create``).

``probability`` picks the share of requests affected (seeded, so a run can be
replayed); ``count`` ends the fault after that many affected requests.
"""

import random
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field

FaultKind = Literal["none", "error", "rate_limit", "slow", "hang", "lost_answer"]


class FaultMode(BaseModel):
    kind: FaultKind = "none"
    status: int = Field(default=500, ge=500, le=599, description="The answer of `error`.")
    delay_s: float = Field(default=0.0, ge=0, le=600, description="`slow` and `hang`.")
    retry_after_s: int = Field(default=1, ge=0, le=3600, description="`rate_limit`.")
    probability: float = Field(default=1.0, ge=0, le=1)
    count: int | None = Field(default=None, ge=0, description="None: until changed.")
    seed: int | None = Field(default=None, description="Seeds the `probability` draws.")
    path: str | None = Field(default=None, description="Only requests whose path has this.")


@dataclass
class FaultState:
    mode: FaultMode = field(default_factory=FaultMode)
    left: int | None = None
    affected: int = 0
    draws: random.Random = field(default_factory=random.Random)

    def set(self, mode: FaultMode) -> None:
        self.mode, self.left, self.affected = mode, mode.count, 0
        self.draws = random.Random(mode.seed)  # noqa: S311  (a replayable draw, not a secret)

    def take(self, path: str = "") -> FaultMode | None:
        """The fault that applies to this request, if any (and count it)."""
        mode = self.mode
        if mode.kind == "none" or self.left == 0:
            return None
        if mode.path is not None and mode.path not in path:
            return None
        if mode.probability < 1 and self.draws.random() >= mode.probability:
            return None
        if self.left is not None:
            self.left -= 1
        self.affected += 1
        return mode
