"""Golden verdicts: a few hundred varied received leads and what the scorer made of
them, pinned so that a change for speed cannot change an output byte unnoticed.

``records()`` builds the input (deterministic: seeded per record); ``outcome()``
summarises one produced record: topic, event id, verdict, codes, the phone sent on,
and a SHA-256 over topic, key, value and headers. The file ``golden_verdicts.json``
holds the outcomes; when a verdict changes on purpose (a new criterion, a new
field in the contract), review the change and rewrite it:

    uv run python -m tests.scorer.scoring.golden
"""

import hashlib
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import ConsumerRecord

from leadrouter_runtime.kafka import OutboundRecord
from leadrouter_schemas import (
    Campaign,
    Company,
    Consent,
    ConsentRule,
    Contact,
    Lead,
    LeadReceived,
    LeadReceivedData,
    RuleCase,
    ScoringModel,
    ScoringRule,
    SpamSignals,
    ValidationCriteria,
    encode,
)

GOLDEN_FILE = Path(__file__).with_name("golden_verdicts.json")
COUNT = 240
SOURCE_TOPIC = "leads.received"
NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
JUDGED_AT = NOW + timedelta(minutes=5)

OWN_MODEL = ScoringModel(
    version="spring-2026.1",
    mql_threshold=60,
    fit_weight=0.4,
    recency_half_life_hours=24,
    grade_thresholds=(80, 60, 30),
    rules=(
        ScoringRule(
            rule="company size",
            axis="fit",
            input="company.employees",
            cases=(
                RuleCase(when="range", min=200, points=40, label="200+ employees"),
                RuleCase(when="range", max=200, points=10, label="under 200"),
            ),
        ),
        ScoringRule(
            rule="industry",
            axis="fit",
            input="company.industry",
            cases=(RuleCase(when="equals", values=("Software", "SaaS"), points=30),),
        ),
        ScoringRule(
            rule="seniority",
            axis="fit",
            input="contact.job_title",
            cases=(
                RuleCase(when="words", values=("cto", "vp", "head of"), points=50, label="lead"),
                RuleCase(when="present", points=5, label="other"),
            ),
        ),
        ScoringRule(
            rule="region",
            axis="fit",
            input="contact.region",
            cases=(RuleCase(when="present", points=7),),
        ),
        ScoringRule(
            rule="campaign",
            axis="intent",
            input="campaign.kind",
            cases=(RuleCase(when="equals", values=("demo_request",), points=30),),
        ),
        ScoringRule(
            rule="requested action",
            axis="intent",
            input="answers.interest",
            cases=(
                RuleCase(when="words", values=("demo", "trial"), points=60, label="demo"),
                RuleCase(when="present", points=10, label="other request"),
            ),
        ),
        ScoringRule(
            rule="budget",
            axis="intent",
            input="answers.budget",
            cases=(
                RuleCase(when="range", min=50_000, points=25, label="large"),
                RuleCase(when="range", min=0, max=50_000, points=-5, label="small"),
            ),
        ),
    ),
)

CAMPAIGNS = (
    Campaign(
        campaign_id="spring-demo",
        name="Spring demo days",
        version=3,
        kind="demo_request",
        forms=("demo-form-v2", "demo-form-v3"),
        criteria=ValidationCriteria(
            required_fields=("contact.email", "company.name"),
            reject_free_email=True,
            countries_served=("US", "CA", "GB", "ES", "DE"),
            consent=ConsentRule(countries=("GB", "ES", "CA", "DE")),
            spam=SpamSignals(honeypot_fields=("website_url",), min_submit_seconds=5),
        ),
        scoring=OWN_MODEL,
    ),
    Campaign(campaign_id="whitepaper-2026", name="Whitepaper", version=1, kind="content"),
    Campaign(
        campaign_id="outbound-calls",
        name="Outbound calls",
        version=2,
        kind="webinar",
        criteria=ValidationCriteria(
            required_fields=("contact.email", "contact.phone"),
            reject_role_email=True,
            reject_disposable_email=False,
            consent=ConsentRule(proof_required=False),
            spam=SpamSignals(min_submit_seconds=None),
        ),
    ),
    Campaign(campaign_id="paused", name="Paused", version=5, active=False),
)
GOOD_EMAILS = ("ada@analytical.example", "Grace.Hopper+leads@navy.example", "li@initech.example")
BAD_EMAILS = (
    "linus@gmail.com",
    "throwaway@mailinator.com",
    "sales@company.example",
    "Info@company.example",
    "no-at-sign.example",
    "ada..lovelace@example.com",
    '"quoted local"@example.com',
    "josé@exämple.com",
    "test@test.com",
    None,
)
# Wrong, or right only for some countries: a national number needs the lead's
# country, an invalid one is a warning unless the campaign requires a phone.
BAD_PHONES = (
    "612 345 678",
    "+44 20 7946 0958",
    "020 7946 0958",
    "030 901820",
    "12345",
    "+34612345678",
    "not a phone",
)
TITLES = ("CTO", "Head of Sales", "VP Marketing", "Director of IT", "Engineer", "Student", "")
INDUSTRIES = ("Software", "SaaS", "Financial services", "Manufacturing", "Retail", None)
INTERESTS = ("Request a demo", "pricing", "Download the report", "call me", "trial", None)
TIMELINES = ("now", "this quarter", "next quarter", "next year", None)
BUDGETS = ("120000", "20000", "none", "unknown", None)


def received(n: int) -> LeadReceived:
    """Lead ``n``: every other one passes the criteria of the campaigns that exist
    (so that most outcomes carry a score), the rest may fail anything."""
    rng = random.Random(n)
    clean = n % 2 == 0

    def pick(good: tuple[Any, ...], bad: tuple[Any, ...] = ()) -> Any:
        return rng.choice(good if clean else good + bad)

    submitted = NOW - timedelta(hours=rng.choice((0, 0, 1.5, 36, 200)))
    answers = {
        key: value
        for key, value in (
            ("interest", rng.choice(INTERESTS)),
            ("timeline", rng.choice(TIMELINES)),
            ("budget", rng.choice(BUDGETS)),
            ("product", rng.choice(("Analytics", None, None))),
            ("website_url", pick(("",), ("http://spam.example",))),
        )
        if value is not None
    }
    proven = (
        Consent(given=True, form_version="v2", given_at=NOW, ip="192.0.2.1"),
        Consent(given=True, text="Contact me", given_at=NOW, ip="2001:db8::1"),
    )
    lead = Lead(
        lead_key=f"generic:{n}",
        source=rng.choice(("generic", "hubspot", "typeform")),
        external_id=str(n) if n % 3 else None,
        campaign_id=pick(
            ("spring-demo", "whitepaper-2026", "outbound-calls"), ("paused", "nowhere")
        ),
        form_id=pick(("demo-form-v2", "demo-form-v3"), ("other-form", None)),
        submitted_at=submitted,
        form_started_at=pick(
            (None, submitted - timedelta(seconds=90)),
            (submitted - timedelta(seconds=1), submitted - timedelta(seconds=4)),
        ),
        received_at=rng.choice((None, NOW)),
        contact=Contact(
            email=pick(GOOD_EMAILS, BAD_EMAILS),
            first_name=pick(("Ada", "José", "Grace", None), ("asdf",)),
            last_name=pick(("Lovelace", "Hopper", None), ("Test",)),
            phone=pick(
                (None, "+34 612 345 678", "(202) 555-0143", "+1 202-555-0143", f"+34 6{n:08d}"),
                BAD_PHONES,
            ),
            job_title=rng.choice(TITLES) or None,
            language=rng.choice(("en", "es-ES", None)),
            country=pick(("US", "CA", "GB", "ES", "DE"), ("BR", "FR", None)),
            region=rng.choice(("Madrid", None)),
        ),
        company=Company(
            name=pick(("Analytical Engines", "Navy", "Initech"), ("test", None)),
            domain=rng.choice(("analytical.example", None)),
            employees=rng.choice((0, 5, 40, 199, 200, 5000, None)),
            industry=rng.choice(INDUSTRIES),
        ),
        consent=pick(proven, (None, Consent(given=False), Consent(given=True, text="Contact me"))),
        answers=answers,
        raw={"form": {"id": n, "fields": [{"name": "note", "value": "Ünïcode ✓"}]}, "n": n},
    )
    return LeadReceived(
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"urn:golden:{n}"),
        data=LeadReceivedData(lead=lead),
        occurred_at=NOW,
        source=f"webhook:{lead.source}",
        correlation_id=f"golden-{n}",
    )


def records() -> list[ConsumerRecord[bytes, bytes]]:
    """The received leads as consumed records, with two that no scorer can read."""
    values: list[bytes | None] = [encode(received(n)) for n in range(COUNT)]
    values[17] = b'{"type": "lead.received", "nonsense": true}'
    values[101] = None  # a tombstone
    return [
        ConsumerRecord(
            topic=SOURCE_TOPIC,
            partition=n % 3,
            offset=n,
            timestamp=0,
            timestamp_type=0,
            key=f"generic:{n}".encode(),
            value=value,
            checksum=None,
            serialized_key_size=0,
            serialized_value_size=len(value or b""),
            headers=[],
        )
        for n, value in enumerate(values)
    ]


def outcome(record: OutboundRecord) -> dict[str, Any]:
    assert record.value is not None
    event = json.loads(record.value)
    data = event["data"]
    digest = hashlib.sha256()
    for part in (record.topic.encode(), record.key or b"", record.value):
        digest.update(len(part).to_bytes(4, "big") + part)
    for name, value in record.headers:
        digest.update(name.encode() + b"=" + value + b"\n")
    summary: dict[str, Any] = {
        "key": (record.key or b"").decode(),
        "topic": record.topic,
        "event_id": event["event_id"],
    }
    if "score" in data:
        s = data["score"]
        summary["verdict"] = (
            f"{s['value']} {s['grade']} fit {s['fit']} intent {s['intent']}"
            f"{' MQL' if s['is_mql'] else ''} {s['model_version']}"
        )
        summary["codes"] = [w["code"] for w in data["warnings"]]
    else:
        summary["codes"] = [r["code"] for r in data["reasons"]]
    summary["phone"] = data["lead"]["contact"]["phone"]
    summary["sha256"] = digest.hexdigest()
    return summary


def write(outcomes: list[dict[str, Any]]) -> None:
    lines = ",\n".join(json.dumps(o, ensure_ascii=False) for o in outcomes)
    GOLDEN_FILE.write_text(f"[\n{lines}\n]\n", encoding="utf-8")


def load() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(GOLDEN_FILE.read_text(encoding="utf-8"))
    return loaded


if __name__ == "__main__":
    from tests.scorer.scoring.test_golden_verdicts import judge_golden_records

    write([outcome(r) for r in judge_golden_records().verdicts])
    print(f"wrote {GOLDEN_FILE}")
