"""The typed decision record (routing/record.py): its compact stored form round-trips,
and the full record rendered from it is what the engine wrote before (version 1,
tests/fixtures/router/decision_records_v1.json), on every path of the engine."""

import uuid
from typing import Any

from leadrouter_router.routing import availability, engine
from leadrouter_router.routing.engine import decide
from leadrouter_router.routing.record import (
    EXCLUSIONS,
    DecisionRecord,
    explain,
    from_stored,
    load,
    stored,
)
from leadrouter_router.routing.schemas import DecisionExplanation
from leadrouter_schemas import LeadAssigned
from tests.router.record_world import decide_all, golden, people, policy

NAMES = {person.id: person.name for person in people().values()}


def full(record: DecisionRecord) -> dict[str, Any]:
    shown = explain(record, document=policy().document, names=NAMES)
    dumped: dict[str, Any] = shown.model_dump(mode="json")
    return dumped


def test_every_record_round_trips_through_its_stored_form() -> None:
    for decision, _ in decide_all(decide):
        assert from_stored(stored(decision.record)) == decision.record


def test_the_full_record_from_the_stored_form_is_what_the_engine_wrote_before() -> None:
    decided = decide_all(decide)
    written = golden()
    assert len(decided) == len(written)
    for (decision, _), before in zip(decided, written, strict=True):
        assert full(from_stored(stored(decision.record))) == before


def test_the_world_takes_every_path_of_the_engine() -> None:
    vias = {decision.via for decision, _ in decide_all(decide)}
    assert vias == {"dedupe", "account", "open_lead", "rule", "fallback_pool"} | {
        "fallback_owner",
        "none",
    }


def test_a_version_1_record_reads_as_it_was_written() -> None:
    for before in golden():
        record = load(before, None)
        assert isinstance(record, DecisionExplanation)
        assert record.model_dump(mode="json") == before
        assert (record.via, record.reason) == (before["via"], before["reason"])


def test_a_version_1_record_the_engine_did_not_write_is_shown_as_it_is() -> None:
    record = load({"outcome": "assigned", "note": "by hand"}, None)
    assert record.outcome == "assigned"
    assert isinstance(record, DecisionExplanation)
    assert record.model_dump(exclude_none=True) == {
        "reason": "",
        "outcome": "assigned",
        "note": "by hand",
    }


def test_the_stored_form_is_a_fraction_of_the_full_record() -> None:
    compact = full_size = 0
    for (decision, _), before in zip(decide_all(decide), golden(), strict=True):
        full_size += len(DecisionExplanation.model_validate(before).model_dump_json())
        compact += len(stored(decision.record))
    assert compact * 4 < full_size  # bench/decision_record.py measures it at scale


def test_a_deleted_policy_version_shows_each_rule_tried_by_its_position() -> None:
    decision = next(d for d, _ in decide_all(decide) if d.via == "rule")
    shown = explain(decision.record, document=None, names=NAMES)
    assert shown.rules is not None
    assert [rule.rule for rule in shown.rules] == [
        f"#{n + 1}" for n in range(len(decision.record.rules))
    ]
    assert shown.rules[-1].matched


def test_every_exclusion_the_engine_names_has_a_bit() -> None:
    named = {
        value
        for module in (engine, availability)
        for name, value in vars(module).items()
        if name.isupper() and isinstance(value, str) and name != "MATCHED"
    }
    assert named <= set(EXCLUSIONS)


def test_a_salesperson_renamed_since_is_shown_by_their_name_now() -> None:
    decision = next(d for d, _ in decide_all(decide) if d.via == "rule")
    chosen = decision.salesperson_id
    assert chosen is not None
    shown = explain(decision.record, document=policy().document, names={chosen: "New Name"})
    candidates = [c for pool in shown.pools or [] for c in pool.candidates]
    assert {c.name for c in candidates if c.salesperson_id == chosen} == {"New Name"}
    assert decision.reason in shown.reason  # the reason stays as it was written


def test_the_crm_note_says_why_in_the_words_written_before() -> None:
    from leadrouter_router.crm.adapters import talk_track
    from tests.support.samples import scored

    data = scored("note@example.org").data
    for (decision, _), before in zip(decide_all(decide), golden(), strict=True):
        if decision.outcome != "assigned":
            continue
        event = LeadAssigned.model_validate(
            {
                "event_id": uuid.uuid4(),
                "occurred_at": before["decided_at"],
                "source": "router",
                "correlation_id": "note",
                "data": {
                    "lead_id": uuid.uuid4(),
                    "lead_key": before["lead"]["lead_key"],
                    "lead": data.lead.model_dump(mode="json"),
                    "assignment_id": uuid.uuid4(),
                    "campaign_id": before["lead"]["campaign_id"],
                    "salesperson": {"id": decision.salesperson_id, "name": "x", "email": "x@y.z"},
                    "score": data.score.model_dump(mode="json"),
                    "reason": decision.reason,
                    "assigned_at": before["decided_at"],
                },
            }
        )
        assert f"Why you: {before['reason']}" in talk_track(event).splitlines()
