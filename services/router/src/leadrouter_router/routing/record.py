"""The decision record: why this salesperson (or nobody), typed and versioned.

The engine writes a :class:`DecisionRecord`: what it decided and every fact behind it
that cannot be worked out again later: ids, reason codes as bits, for each rule tried
the condition that failed, the lead's value each tested field had. Rule text is not
in it: the record names its policy version (``routing_policies`` keeps every version;
a deleted policy's versions move to ``retired_policies``), and a candidate's name is
the salesperson's (never deleted: they leave). :func:`stored` encodes it
(MessagePack, arrays rather than maps, UUIDs as 16 bytes) for ``decisions.compact``;
:func:`explain` renders the full record the API shows (``schemas.DecisionExplanation``).

Versions: 1 is the full JSON the engine wrote before (``decisions.record``, read as
it is); 2 is this one, the MessagePack array's first element. See
docs/decisions/0306-compact-decision-record.md.
"""

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

import msgspec
from pydantic import ValidationError

from leadrouter_router.policies.policy import PolicyDocument
from leadrouter_router.routing.schemas import (
    CandidateShown,
    CircuitShown,
    ConditionChecked,
    DecisionExplanation,
    DedupeShown,
    FallbackOwnerShown,
    LeadShown,
    PolicyShown,
    PoolConsidered,
    RuleTried,
)

EXCLUSIONS: tuple[str, ...] = (
    "unknown_salesperson",
    "inactive",
    "holiday",
    "out_of_office",
    "outside_working_hours",
    "missing_language",
    "missing_skill",
    "not_senior_enough",
    "daily_capacity_reached",
    "open_capacity_reached",
    "already_had_lead",
)
"""Why a pool member was excluded, as bit ``1 << position`` in :attr:`Candidate.excluded`.
Append only: stored records refer to these positions. In the engine's order, so a
candidate's reasons read back in the order they were found."""

BIT: Mapping[str, int] = {code: 1 << n for n, code in enumerate(EXCLUSIONS)}

MATCHED = -1
"""In :attr:`DecisionRecord.rules`: the rule whose conditions all held."""


class _Value(msgspec.Struct, frozen=True, array_like=True, omit_defaults=True):
    pass


class PolicyRef(_Value, frozen=True):
    name: str
    version: int
    id: uuid.UUID | None = None
    """The ``routing_policies`` row; none for a policy that is not stored (built in)."""


class LeadRef(_Value, frozen=True):
    lead_key: str
    campaign_id: str
    grade: str


class Dedupe(_Value, frozen=True):
    lead_id: uuid.UUID
    matched_on: str


class Circuit(_Value, frozen=True):
    """The owned account or open lead of the same company, and why its owner did not
    get the lead (nothing excluded: they did)."""

    via: str
    """account | open_lead"""
    matched_on: str
    ref_id: uuid.UUID
    """The account's id, or the open lead's."""
    owner: uuid.UUID | None
    excluded: tuple[str, ...]
    account: str | None = None
    """The account's name when the circuit was decided."""


class Candidate(_Value, frozen=True):
    salesperson_id: uuid.UUID
    excluded: int = 0
    """Bits of :data:`EXCLUSIONS`; 0: eligible."""

    def exclusions(self) -> list[str]:
        mask = self.excluded
        return [code for code, bit in BIT.items() if mask & bit]


class PoolCheck(_Value, frozen=True):
    stage: str
    """pool | fallback_pool"""
    pool: str
    strategy: str
    candidates: tuple[Candidate, ...]


class FallbackOwner(_Value, frozen=True):
    email: str
    found: bool


class DecisionRecord(_Value, frozen=True, tag=2):
    """One decision, version 2. The keys of the full record that a path did not reach
    are absent here too: no ``circuit`` after a dedupe, no ``rules`` after a circuit."""

    version: ClassVar[int] = 2

    policy: PolicyRef
    decided_at: datetime
    lead: LeadRef
    outcome: str
    via: str
    reason: str
    salesperson_id: uuid.UUID | None = None
    pool: str | None = None
    strategy: str | None = None
    dedupe: Dedupe | None = None
    circuit: Circuit | None = None
    territories: tuple[str, ...] | None = None
    """The lead's territories; none: the rules were not reached."""
    rules: tuple[int, ...] = ()
    """Each rule tried, in the policy's order: the position of the condition that
    failed, or :data:`MATCHED`."""
    actual: dict[str, Any] = {}
    """The lead's value of each field a condition tested."""
    pools: tuple[PoolCheck, ...] = ()
    tie_break: str | None = None
    fallback_owner: FallbackOwner | None = None


_ENCODER = msgspec.msgpack.Encoder(uuid_format="bytes")
_DECODER = msgspec.msgpack.Decoder(DecisionRecord)


def stored(record: DecisionRecord) -> bytes:
    """The compact form written to ``decisions.compact``."""
    return _ENCODER.encode(record)


def from_stored(compact: bytes) -> DecisionRecord:
    return _DECODER.decode(compact)


def load(legacy: Mapping[str, Any] | None, compact: bytes | None) -> "Recorded":
    """A decision row's record, whichever version wrote it."""
    if compact is not None:
        return from_stored(compact)
    try:
        return DecisionExplanation.model_validate(legacy or {})
    except ValidationError:  # not what the engine wrote: shown as it is
        return DecisionExplanation.model_construct(**{**_NOTHING, **(legacy or {})})


_NOTHING: dict[str, Any] = dict.fromkeys(
    ("policy", "decided_at", "lead", "outcome", "salesperson_id", "via", "pool", "strategy")
) | {"reason": ""}


Recorded = DecisionRecord | DecisionExplanation
"""Either version: both say ``outcome``, ``via``, ``pool``, ``strategy``, ``reason``."""


def explain(
    record: DecisionRecord,
    *,
    document: PolicyDocument | None,
    names: Mapping[uuid.UUID, str],
) -> DecisionExplanation:
    """The full record: rule text from the policy version it names (``None``: that
    version is gone, each rule shows its position), candidates' names from ``names``."""
    shown: dict[str, Any] = {
        "policy": PolicyShown(name=record.policy.name, version=record.policy.version),
        "decided_at": record.decided_at,
        "lead": LeadShown(
            lead_key=record.lead.lead_key,
            campaign_id=record.lead.campaign_id,
            grade=record.lead.grade,
        ),
    }
    if record.dedupe is not None:
        shown["dedupe"] = DedupeShown(
            lead_id=record.dedupe.lead_id, matched_on=record.dedupe.matched_on
        )
    else:
        shown["circuit"] = _circuit(record.circuit)
    if record.territories is not None:
        shown["territories"] = list(record.territories)
        shown["rules"] = _rules(record, document)
    if record.pools:
        shown["pools"] = [_pool(check, names) for check in record.pools]
    if record.tie_break is not None:
        shown["tie_break"] = record.tie_break
    if record.fallback_owner is not None:
        shown["fallback_owner"] = FallbackOwnerShown(
            email=record.fallback_owner.email, found=record.fallback_owner.found
        )
    for key in ("outcome", "salesperson_id", "via", "pool", "strategy", "reason"):
        shown[key] = getattr(record, key)
    return DecisionExplanation(**shown)


def _circuit(circuit: Circuit | None) -> CircuitShown | None:
    if circuit is None:
        return None
    ref: dict[str, Any] = (
        {"account_id": circuit.ref_id, "account": circuit.account}
        if circuit.via == "account"
        else {"lead_id": circuit.ref_id}
    )
    return CircuitShown(
        via=circuit.via,
        **ref,
        matched_on=circuit.matched_on,
        owner=circuit.owner,
        excluded=list(circuit.excluded),
    )


def _rules(record: DecisionRecord, document: PolicyDocument | None) -> list[RuleTried]:
    tried = []
    for position, failed in enumerate(record.rules):
        if document is None or position >= len(document.rules):
            tried.append(RuleTried(rule=f"#{position + 1}", matched=failed == MATCHED))
            continue
        rule = document.rules[position]
        checked = rule.when if failed == MATCHED else rule.when[: failed + 1]
        tried.append(
            RuleTried(
                rule=rule.name,
                matched=failed == MATCHED,
                conditions=[
                    ConditionChecked(
                        field=condition.field,
                        op=condition.op,
                        value=condition.value,
                        actual=record.actual.get(condition.field),
                        holds=n != failed,
                    )
                    for n, condition in enumerate(checked)
                ],
            )
        )
    return tried


def _pool(check: PoolCheck, names: Mapping[uuid.UUID, str]) -> PoolConsidered:
    unknown = BIT["unknown_salesperson"]
    candidates = []
    for candidate in check.candidates:
        name = None if candidate.excluded & unknown else names.get(candidate.salesperson_id)
        if name is None:
            candidates.append(
                CandidateShown(
                    salesperson_id=candidate.salesperson_id, excluded=candidate.exclusions()
                )
            )
        else:
            candidates.append(
                CandidateShown(
                    salesperson_id=candidate.salesperson_id,
                    name=name,
                    excluded=candidate.exclusions(),
                )
            )
    return PoolConsidered(
        stage=check.stage, pool=check.pool, strategy=check.strategy, candidates=candidates
    )
