"""Finding the lead's circuit: the same person already known (dedupe), an account already
owned, an open lead of the same company. Fuzzy names use rapidfuzz's token-sort ratio
(https://rapidfuzz.github.io/RapidFuzz/Usage/fuzz.html#token-sort-ratio)."""

from datetime import datetime, timedelta

from rapidfuzz import fuzz, process

from leadrouter_router.routing.facts import (
    Account,
    KnownLead,
    KnownLeads,
    LeadFacts,
    RoutingContext,
    normalise_company,
)

MERGEABLE = frozenset({"assigned", "unassigned"})


def duplicate_of(
    lead: LeadFacts, known: KnownLeads, *, window: timedelta, now: datetime
) -> tuple[KnownLead, str] | None:
    """The most recent known lead of the same person within ``window``, and the key that
    matched (the lead key first, then the e-mail, then the phone)."""
    since = now - window
    best: tuple[KnownLead, str] | None = None
    for key, value in (
        ("lead_key", lead.lead_key),
        ("email", lead.email_key),
        ("phone", lead.phone_key),
    ):
        for other in known.by(key, value):
            if (
                other.id == lead.lead_id
                or other.status not in MERGEABLE
                or other.received_at < since
            ):
                continue
            if best is None or (other.received_at, other.id) > (best[0].received_at, best[0].id):
                best = (other, key)
        if best is not None:
            return best
    return None


def matching_account(
    lead: LeadFacts, context: RoutingContext, *, threshold: float
) -> tuple[Account, str] | None:
    """The account by the lead's company domain, else by a fuzzy company name."""
    for domain in (lead.company_domain, lead.email_domain):
        if domain:
            account = context.account_by_domain(domain)
            if account is not None:
                return account, f"domain {domain}"
    if lead.company_name and context.account_names:
        name = normalise_company(lead.company_name)
        choices = context.accounts_sharing_a_word(name) if name else []
        if choices:
            found = process.extractOne(
                name,
                choices,
                scorer=fuzz.token_sort_ratio,
                score_cutoff=threshold,
            )
            if found is not None:
                matched, similarity, _ = found
                return context.account_names[
                    matched
                ], f"company name {similarity:.0f}% like {matched!r}"
    return None


def open_lead_of_company(lead: LeadFacts, known: KnownLeads) -> KnownLead | None:
    """The latest open, owned lead of the same company (by its own domain)."""
    best: KnownLead | None = None
    for other in known.by("domain", lead.company_domain):
        if (
            other.id != lead.lead_id
            and other.status == "assigned"
            and other.owner_id is not None
            and (best is None or (other.received_at, other.id) > (best.received_at, best.id))
        ):
            best = other
    return best
