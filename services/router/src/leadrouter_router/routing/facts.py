"""What the engine knows about a lead, a salesperson and the state of the teams: plain values."""

import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from leadrouter_schemas import LeadScoredData

FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "proton.me",
        "protonmail.com",
    }
)
"""Shared mailbox providers: their domain says nothing about the company."""


def email_key(email: str | None) -> str | None:
    """Lower-cased, without a ``+tag`` (RFC 5233 sub-addressing) and, for Gmail, without dots."""
    if not email or "@" not in email:
        return None
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def phone_key(phone: str | None) -> str | None:
    """Digits only, keeping a leading ``+`` (E.164-like); too short to be a phone is None."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 6:
        return None
    return ("+" if phone.strip().startswith("+") else "") + digits


def domain_of(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].strip().lower() or None


def company_domain(email: str | None, website: str | None) -> str | None:
    """The company's own domain: the stated one, else the e-mail's unless it is free mail."""
    if website:
        cleaned = re.sub(r"^https?://", "", website.strip().lower()).split("/", 1)[0]
        return cleaned.removeprefix("www.") or None
    domain = domain_of(email)
    return None if domain is None or domain in FREE_MAIL_DOMAINS else domain


@dataclass(frozen=True, slots=True)
class LeadFacts:
    lead_key: str
    campaign_id: str
    received_at: datetime
    score: int
    grade: str
    source: str = "generic"
    lead_id: uuid.UUID | None = None
    email_key: str | None = None
    phone_key: str | None = None
    email_domain: str | None = None
    company_domain: str | None = None
    company_name: str | None = None
    employees: int | None = None
    country: str | None = None
    region: str | None = None
    postal_code: str | None = None
    language: str | None = None
    product: str | None = None
    value: float = 0.0
    answers: Mapping[str, str] = field(default_factory=dict)
    previous_owners: frozenset[uuid.UUID] = frozenset()
    """Who already had this lead (re-routing never goes back to them)."""

    @classmethod
    def from_scored(
        cls,
        data: LeadScoredData,
        *,
        received_at: datetime,
        product_line: str | None = None,
        lead_id: uuid.UUID | None = None,
    ) -> "LeadFacts":
        lead, contact = data.lead, data.lead.contact
        language = contact.language.split("-", 1)[0].lower() if contact.language else None
        return cls(
            lead_id=lead_id,
            lead_key=lead.lead_key,
            campaign_id=lead.campaign_id,
            received_at=received_at,
            score=data.score.value,
            grade=data.score.grade,
            source=lead.source,
            email_key=email_key(contact.email),
            phone_key=phone_key(contact.phone),
            email_domain=domain_of(contact.email),
            company_domain=company_domain(contact.email, lead.company.domain),
            company_name=lead.company.name,
            employees=lead.company.employees,
            country=contact.country,
            region=contact.region,
            postal_code=contact.postal_code,
            language=language,
            product=lead.answers.get("product") or product_line,
            value=float(data.score.value),
            answers=dict(lead.answers),
        )


_LEGAL_FORMS = re.compile(
    r"\b(inc|incorporated|ltd|limited|llc|gmbh|ag|sa|sl|sas|srl|bv|nv|plc|co|corp|"
    r"corporation|company|group|holding)\b\.?"
)


def normalise_company(name: str) -> str:
    """Lower case, without punctuation and legal forms: "ACME, Inc." -> "acme"."""
    cleaned = re.sub(r"[^\w\s]", " ", name.lower())
    return " ".join(_LEGAL_FORMS.sub(" ", cleaned).split())


Interval = tuple[time, time]


@dataclass(frozen=True, slots=True)
class Person:
    id: uuid.UUID
    name: str
    email: str = ""
    crm_user_id: str | None = None
    status: str = "active"
    languages: frozenset[str] = frozenset()
    skills: frozenset[str] = frozenset()
    seniority: int = 1
    time_zone: str = "UTC"
    working_hours: Mapping[int, tuple[Interval, ...]] = field(default_factory=dict)
    """ISO weekday (1 = Monday) -> local intervals; empty: no schedule, always working."""
    holidays: frozenset[date] = frozenset()
    out_of_office: tuple[tuple[datetime, datetime], ...] = ()
    max_new_per_day: int | None = None
    max_open: int | None = None
    weight: float = 1.0
    key: str = ""
    """The id as text (filled in): what load counters are keyed by."""

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", str(self.id))


@dataclass(frozen=True, slots=True)
class Territory:
    name: str
    countries: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    postal_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Account:
    id: uuid.UUID
    name: str
    domains: frozenset[str]
    owner_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class KnownLead:
    """A lead already held, as dedupe and the circuit see it."""

    id: uuid.UUID
    lead_key: str
    received_at: datetime
    status: str
    owner_id: uuid.UUID | None = None
    email_key: str | None = None
    phone_key: str | None = None
    company_domain: str | None = None


class KnownLeads:
    """Known leads indexed by every key that dedupe and the circuit look them up by."""

    def __init__(self, leads: Iterable[KnownLead] = ()) -> None:
        self._by: dict[tuple[str, str], list[KnownLead]] = {}
        for lead in leads:
            self.add(lead)

    def add(self, lead: KnownLead) -> None:
        for kind, value in (
            ("lead_key", lead.lead_key),
            ("email", lead.email_key),
            ("phone", lead.phone_key),
            ("domain", lead.company_domain),
        ):
            if value:
                self._by.setdefault((kind, value), []).append(lead)

    def by(self, kind: str, value: str | None) -> list[KnownLead]:
        return self._by.get((kind, value), []) if value else []


@dataclass(slots=True)
class Load:
    """How busy each salesperson is: counted by the service, updated as it assigns."""

    # Keyed by the salesperson id as text: a str caches its hash, a UUID computes it
    # on every lookup, and the engine looks these up for every pool member.
    assigned_today: dict[str, int] = field(default_factory=dict)
    open_leads: dict[str, int] = field(default_factory=dict)
    open_value: dict[str, float] = field(default_factory=dict)
    last_in_pool: dict[str, uuid.UUID] = field(default_factory=dict)

    def assign(self, person: uuid.UUID, *, pool: str | None, value: float) -> None:
        key = str(person)
        self.assigned_today[key] = self.assigned_today.get(key, 0) + 1
        self.open_leads[key] = self.open_leads.get(key, 0) + 1
        self.open_value[key] = self.open_value.get(key, 0.0) + value
        if pool is not None:
            self.last_in_pool[pool] = person


@dataclass(frozen=True, slots=True)
class Static:
    """A salesperson's id as text, why they are unavailable now, their scaled capacities."""

    key: str
    unavailable: tuple[str, ...]
    daily_cap: int | None
    open_cap: int | None


@dataclass(slots=True)
class Statics:
    people: dict[uuid.UUID, Static] = field(default_factory=dict)
    pools: dict[str, list[tuple[uuid.UUID, "Person | None", Static | None]]] = field(
        default_factory=dict
    )
    kinds: dict[tuple[str, str | None, str | None, int | None], list[Any]] = field(
        default_factory=dict
    )


SameAvailability = Callable[["Person", datetime, bool, tuple[str, ...]], bool]
"""Whether a salesperson's reasons to be unavailable at an instant (with after-hours
allowed or not) are the given ones."""


class CarriedStatics:
    """The engine's per-batch statics, carried to the next batch of the same
    configuration when they still hold.

    Everything in :class:`Statics` follows from the configuration and from each
    member's availability at the batch's instant; capacities and load are not in it.
    So when every salesperson it holds has the same reasons to be unavailable at the
    next batch's instant, it is what that batch would work out again (with 500
    salespeople in 20 pools, about half of a decision's cost). One availability check
    per salesperson and batch decides; any difference starts afresh.
    """

    def __init__(self, same_availability: SameAvailability) -> None:
        self._same = same_availability
        self._latest: dict[tuple[bool, float], tuple[datetime, Statics]] = {}

    def take(
        self,
        people: Mapping[uuid.UUID, "Person"],
        now: datetime,
        after_hours: bool,
        factor: float,
    ) -> Statics:
        latest = self._latest.get((after_hours, factor))
        statics = Statics()
        if latest is not None:
            at, previous = latest
            if at == now or all(
                (person := people.get(member)) is not None
                and self._same(person, now, after_hours, static.unavailable)
                for member, static in previous.people.items()
            ):
                statics = previous
        self._latest[(after_hours, factor)] = (now, statics)
        return statics


class AccountIndex:
    """Owned accounts by domain and by normalised name (with a word index for fuzzy
    matching). Built once per set of accounts: the snapshot cache keeps it between
    batches, since normalising 2,000 names costs more than the batch's look-ups."""

    def __init__(self, accounts: Iterable[Account] = ()) -> None:
        self.by_domain: dict[str, Account] = {}
        self.names: dict[str, Account] = {}
        self.tokens: dict[str, list[str]] = {}
        for account in accounts:
            for domain in account.domains:
                self.by_domain.setdefault(domain.lower(), account)
            normalised = normalise_company(account.name)
            if normalised not in self.names:
                self.names[normalised] = account
                for word in set(normalised.split()):
                    self.tokens.setdefault(word, []).append(normalised)


@dataclass(slots=True)
class RoutingContext:
    """The snapshot one batch is decided against. People, pools, territories and
    accounts are read-only once deciding starts (the engine caches what it derives
    from them per batch); load and known leads move as the batch is decided."""

    people: Mapping[uuid.UUID, Person]
    pools: Mapping[str, Sequence[uuid.UUID]]
    """Team name -> members in rotation order."""
    territories: Sequence[Territory] = ()
    accounts: Sequence[Account] = ()
    known_leads: Sequence[KnownLead] = ()
    """Leads already held that may matter (the same person, the same company)."""
    known: "KnownLeads" = field(init=False)
    load: Load = field(default_factory=Load)
    account_index: AccountIndex | None = None
    """``accounts`` indexed; given when a cached snapshot already built it."""
    carried: CarriedStatics | None = None
    """Statics from the batch before, under the same configuration (see there)."""
    _statics: dict[tuple[datetime, bool, float], "Statics"] = field(
        default_factory=dict, init=False
    )

    def __post_init__(self) -> None:
        self.known = KnownLeads(self.known_leads)
        if self.account_index is None:
            self.account_index = AccountIndex(self.accounts)

    @property
    def _accounts(self) -> AccountIndex:
        assert self.account_index is not None  # set in __post_init__
        return self.account_index

    def remember(self, lead: KnownLead) -> None:
        """A lead decided in this batch: later leads of the batch see it."""
        self.known.add(lead)

    def account_by_domain(self, domain: str) -> Account | None:
        return self._accounts.by_domain.get(domain)

    @property
    def account_names(self) -> dict[str, Account]:
        return self._accounts.names

    def statics(self, now: datetime, after_hours: bool, factor: float) -> "Statics":
        """What does not change between the leads of a batch, per salesperson: computed
        once per (instant, after-hours, capacity factor), as the engine first needs it."""
        key = (now, after_hours, factor)
        found = self._statics.get(key)
        if found is None:
            found = self._statics[key] = (
                Statics()
                if self.carried is None
                else self.carried.take(self.people, now, after_hours, factor)
            )
        return found

    def drop_statics(self) -> None:
        """Forget the statics of past instants: a replay decides each lead at its own."""
        self._statics.clear()

    def accounts_sharing_a_word(self, name: str) -> list[str]:
        """Normalised account names with a word in common with ``name``: the only ones
        a fuzzy match can reach (blocking keeps matching cheap with many accounts)."""
        tokens = self._accounts.tokens
        seen: dict[str, None] = {}
        for word in name.split():
            for candidate in tokens.get(word, ()):
                seen[candidate] = None
        return list(seen)
