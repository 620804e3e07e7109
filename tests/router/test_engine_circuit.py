"""Dedupe, keeping the circuit (accounts, open leads), rules, fallback and the unassigned state."""

import uuid
from datetime import timedelta

from leadrouter_router.routing.engine import decide
from leadrouter_router.routing.facts import Account, KnownLead, Territory, email_key, phone_key
from leadrouter_router.routing.record import MATCHED, explain
from tests.router.engine_values import NOW, context, lead, person, pid, policy


def known(n: int, **changes: object) -> KnownLead:
    base: dict[str, object] = {
        "id": uuid.UUID(int=1000 + n),
        "lead_key": f"email:known{n}@example.org",
        "received_at": NOW - timedelta(days=1),
        "status": "assigned",
        "owner_id": pid(2),
    }
    return KnownLead(**{**base, **changes})  # type: ignore[arg-type]


def test_email_and_phone_are_normalised_for_dedupe() -> None:
    assert email_key(" Ada.Lovelace+Spring@GoogleMail.com ") == "adalovelace@gmail.com"
    assert email_key("ada+x@Engines.example") == "ada@engines.example"
    assert phone_key("+34 (600) 12-34-56") == "+34600123456"
    assert phone_key("123") is None


def test_the_same_person_again_joins_the_lead_and_keeps_its_owner() -> None:
    ctx = context(person(1), person(2), known_leads=[known(1, email_key="ada@example.org")])
    decision = decide(lead(email_key="ada@example.org"), ctx, policy(), NOW)
    assert decision.outcome == "merged"
    assert decision.salesperson_id == pid(2)
    assert decision.merged_into == uuid.UUID(int=1001)
    assert decision.record.dedupe is not None
    assert decision.record.dedupe.matched_on == "email"


def test_dedupe_matches_the_lead_key_and_the_phone() -> None:
    by_key = context(person(1), known_leads=[known(1, lead_key="hubspot:42")])
    assert decide(lead(lead_key="hubspot:42"), by_key, policy(), NOW).outcome == "merged"
    by_phone = context(person(1), known_leads=[known(1, phone_key="+34600123456")])
    decision = decide(lead(phone_key="+34600123456"), by_phone, policy(), NOW)
    assert decision.record.dedupe is not None
    assert decision.record.dedupe.matched_on == "phone"


def test_after_the_window_the_same_person_is_a_new_lead() -> None:
    old = known(1, email_key="ada@example.org", received_at=NOW - timedelta(days=40))
    ctx = context(person(1), known_leads=[old])
    decision = decide(lead(email_key="ada@example.org"), ctx, policy(), NOW)
    assert decision.outcome == "assigned"
    assert decision.salesperson_id == pid(1)


def test_an_owned_account_keeps_its_leads_by_domain() -> None:
    account = Account(uuid.uuid4(), "Analytical Engines", frozenset({"engines.example"}), pid(2))
    ctx = context(person(1), person(2), pools={"sales": [1]}, accounts=[account])
    decision = decide(lead(company_domain="engines.example"), ctx, policy(), NOW)
    assert (decision.via, decision.salesperson_id) == ("account", pid(2))
    assert decision.record.circuit is not None
    assert decision.record.circuit.matched_on == "domain engines.example"


def test_an_owned_account_is_found_by_a_fuzzy_company_name() -> None:
    account = Account(uuid.uuid4(), "Analytical Engines Ltd.", frozenset(), pid(2))
    ctx = context(person(1), person(2), pools={"sales": [1]}, accounts=[account])
    decision = decide(lead(company_name="ANALYTICAL ENGINES, Inc"), ctx, policy(), NOW)
    assert decision.salesperson_id == pid(2)
    assert decision.via == "account"
    unrelated = decide(lead(company_name="Difference Engines"), ctx, policy(), NOW)
    assert unrelated.via == "rule"


def test_an_unavailable_account_owner_lets_the_rules_decide_and_says_why() -> None:
    account = Account(uuid.uuid4(), "Engines", frozenset({"engines.example"}), pid(2))
    ctx = context(person(1), person(2, status="paused"), pools={"sales": [1]}, accounts=[account])
    decision = decide(lead(company_domain="engines.example"), ctx, policy(), NOW)
    assert (decision.via, decision.salesperson_id) == ("rule", pid(1))
    assert decision.record.circuit is not None
    assert decision.record.circuit.excluded == ("inactive",)


def test_an_open_lead_of_the_same_company_keeps_the_circuit() -> None:
    other = known(1, company_domain="engines.example", owner_id=pid(2))
    ctx = context(person(1), person(2), pools={"sales": [1]}, known_leads=[other])
    decision = decide(lead(company_domain="engines.example"), ctx, policy(), NOW)
    assert (decision.via, decision.salesperson_id) == ("open_lead", pid(2))


def test_the_first_matching_rule_picks_the_pool_and_every_rule_tried_is_recorded() -> None:
    ctx = context(person(1), person(2), person(3), pools={"emea": [1], "big": [2], "rest": [3]})
    rules = policy(
        {
            "name": "big",
            "when": [{"field": "employees", "op": "gte", "value": 1000}],
            "pool": "big",
        },
        {
            "name": "emea",
            "when": [{"field": "territory", "op": "eq", "value": "EMEA"}],
            "pool": "emea",
        },
        {"name": "rest", "pool": "rest"},
    )
    emea = Territory("EMEA", countries=frozenset({"ES", "DE"}))
    ctx.territories = [emea]
    decision = decide(lead(country="ES", employees=40), ctx, rules, NOW)
    assert (decision.pool, decision.salesperson_id) == ("emea", pid(1))
    shown = explain(decision.record, document=rules.document, names={}).rules or []
    assert [(r.rule, r.matched) for r in shown] == [("big", False), ("emea", True)]
    assert shown[0].conditions[0].actual == 40
    assert decision.record.rules == (0, MATCHED)
    assert decide(lead(country="US"), ctx, rules, NOW).pool == "rest"
    assert decide(lead(country="US", employees=5000), ctx, rules, NOW).pool == "big"


def test_conditions_on_score_grade_campaign_and_answers() -> None:
    ctx = context(person(1), person(2), pools={"hot": [1], "rest": [2]})
    rules = policy(
        {
            "name": "hot",
            "when": [
                {"field": "score", "op": "gte", "value": 80},
                {"field": "grade", "op": "in", "value": ["A", "B"]},
                {"field": "campaign_id", "op": "eq", "value": "spring"},
                {"field": "answers.timeline", "op": "eq", "value": "now"},
            ],
            "pool": "hot",
        },
        {"name": "rest", "pool": "rest"},
    )
    assert decide(lead(score=85, answers={"timeline": "now"}), ctx, rules, NOW).pool == "hot"
    assert decide(lead(score=85, answers={"timeline": "later"}), ctx, rules, NOW).pool == "rest"
    assert decide(lead(score=50, answers={"timeline": "now"}), ctx, rules, NOW).pool == "rest"


def test_an_empty_pool_falls_back_to_the_fallback_pool_then_the_fallback_owner() -> None:
    ctx = context(
        person(1, status="paused"), person(2), person(3), pools={"sales": [1], "backup": [2]}
    )
    with_pool = policy(fallback={"pool": "backup", "owner_email": "p3@example.com"})
    decision = decide(lead(), ctx, with_pool, NOW)
    assert (decision.via, decision.salesperson_id) == ("fallback_pool", pid(2))
    assert [p.stage for p in decision.record.pools] == ["pool", "fallback_pool"]

    ctx = context(
        person(1, status="paused"),
        person(2, status="left"),
        person(3),
        pools={"sales": [1], "backup": [2]},
    )
    decision = decide(lead(), ctx, with_pool, NOW)
    assert (decision.via, decision.salesperson_id) == ("fallback_owner", pid(3))


def test_with_nobody_eligible_the_lead_is_explicitly_unassigned() -> None:
    ctx = context(person(1, status="paused"))
    decision = decide(lead(), ctx, policy(), NOW)
    assert decision.outcome == "unassigned"
    assert decision.salesperson_id is None
    assert "waits unassigned" in decision.reason


def test_no_matching_rule_and_no_fallback_is_unassigned() -> None:
    rules = policy({"name": "de", "when": [{"field": "country", "value": "DE"}], "pool": "sales"})
    decision = decide(lead(country="FR"), context(person(1)), rules, NOW)
    assert decision.outcome == "unassigned"
    assert decision.reason.startswith("no rule matched")
