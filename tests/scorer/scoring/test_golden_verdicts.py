"""The consumer's verdicts are pinned byte for byte: the same input gives the same
events (verdict, score, explanation, reason codes, event id, headers), whatever is
changed inside for speed; and every produced event honours its JSON Schema."""

import json

import jsonschema

from leadrouter_schemas.jsonschema import DEFAULT_DIR
from leadrouter_scorer.campaigns.catalogue import CampaignCatalogue
from leadrouter_scorer.scoring.default_model import DEFAULT_MODEL
from leadrouter_scorer.scoring.handlers import BatchJudge, Judgement
from tests.scorer.scoring import golden


def judge_golden_records() -> Judgement:
    catalogue = CampaignCatalogue()
    for configured in golden.CAMPAIGNS:
        catalogue.put(configured)
    judge = BatchJudge(
        catalogue=catalogue,
        default_model=DEFAULT_MODEL,
        accept_unknown_campaigns=False,
        scored_topic="leads.scored",
        rejected_topic="leads.rejected",
    )
    records = golden.records()
    # Batches as the consumer sees them: state kept between batches must not matter.
    judgements = [
        judge(records[i : i + 100], golden.JUDGED_AT) for i in range(0, len(records), 100)
    ]
    return Judgement(
        verdicts=[v for j in judgements for v in j.verdicts],
        letters=[x for j in judgements for x in j.letters],
    )


def test_verdicts_equal_the_golden_ones_byte_for_byte() -> None:
    judgement = judge_golden_records()
    expected = golden.load()
    actual = [golden.outcome(record) for record in judgement.verdicts]
    assert len(actual) == len(expected) == golden.COUNT - 2
    different = [(e, a) for e, a in zip(expected, actual, strict=True) if e != a]
    assert not different, (
        f"{len(different)} verdicts differ, first: {different[0]}; if on purpose, "
        "review and run `uv run python -m tests.scorer.scoring.golden`"
    )


def test_the_golden_set_covers_every_kind_of_outcome() -> None:
    outcomes = golden.load()
    scored = [o for o in outcomes if "verdict" in o]
    codes = {code for o in outcomes for code in o["codes"]}
    assert {o["verdict"].split()[1] for o in scored} == {"A", "B", "C", "D"}
    assert {o["verdict"].split()[-1] for o in scored} == {"spring-2026.1", "default-2"}
    assert any(o["codes"] for o in scored)  # warnings on a scored lead
    assert any(o["phone"] == "+34612345678" for o in outcomes)  # a phone made E.164
    assert len(codes) >= 15  # nearly every rejection code of docs/scoring.md


def test_unreadable_records_are_dead_letters_and_the_rest_goes_on() -> None:
    judgement = judge_golden_records()
    assert [(x.record.offset, x.error_type) for x in judgement.letters] == [
        (17, "missing"),
        (101, "tombstone"),
    ]


def test_every_verdict_honours_its_json_schema() -> None:
    validators = {}
    for name in ("lead.scored", "lead.rejected"):
        schema = json.loads((DEFAULT_DIR / f"{name}.v1.json").read_text())
        validator = jsonschema.validators.validator_for(schema)
        validator.check_schema(schema)
        validators[name] = validator(schema)
    for record in judge_golden_records().verdicts:
        assert record.value is not None
        event = json.loads(record.value)
        validators[event["type"]].validate(event)
        assert dict(record.headers)["event-type"] == event["type"].encode()
