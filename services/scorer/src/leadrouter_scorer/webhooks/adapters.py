"""A platform adapter: everything that makes one lead platform's webhook, declared by
its module under ``webhooks/platforms/`` as ``ADAPTER`` (found there by
``webhooks.registry``): how a request is verified (signature, key or token), how an
authentic delivery maps to submissions (reading the lead through the platform's API
where the webhook only names it), and the GET handshake where the platform has one.
The one webhook route (``webhooks.endpoints``) does the rest for every platform."""

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Protocol, TypedDict

from fastapi import Header, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, SecretStr

from leadrouter_runtime.parts import part
from leadrouter_scorer.webhooks import signatures
from leadrouter_scorer.webhooks.config import WebhookSettings
from leadrouter_scorer.webhooks.openapi import RESPONSES_POST
from leadrouter_scorer.webhooks.platforms.common import Submission
from leadrouter_scorer.webhooks.problems import Unauthorized
from leadrouter_scorer.webhooks.quarantine import Delivery
from leadrouter_scorer.webhooks.schemas import Ignored

JSON = frozenset({"application/json"})
FORM = frozenset({"application/x-www-form-urlencoded"})

Mapped = list[Submission] | Ignored


@dataclass(frozen=True, slots=True)
class Inbound:
    """A webhook request as its verification sees it: the raw body (signatures are over
    these bytes) and the credentials the adapter declared, by parameter name."""

    method: str
    url: str
    path: str
    query: str
    body: bytes
    campaign_id: str | None
    credentials: Mapping[str, str | None]
    now: datetime


@dataclass(frozen=True, slots=True)
class Verified:
    """An authentic request: the body to keep (a key inside it removed) and whether it is
    known to be the platform's (else a body that cannot be mapped is the caller's 422)."""

    body: bytes
    authenticated: bool = True


@dataclass(frozen=True, slots=True)
class ApiRead:
    """A GET of a platform's API that answers a JSON object (any failure is a 503)."""

    platform: str  # as its messages name it: "the {platform} API"
    url: str
    headers: dict[str, str]
    timeout_s: float
    what: str  # what is read, for the messages and logs
    params: dict[str, str] | None = None


class PlatformLookups(Protocol):
    """What mapping needs beyond the body: earlier deliveries and the platforms' APIs."""

    @property
    def settings(self) -> WebhookSettings: ...

    def already_accepted(self, source: str, delivery_id: str) -> object | None: ...

    async def api_get(self, read: ApiRead) -> dict[str, Any]: ...


Verify = Callable[[Inbound, WebhookSettings], Verified]
Map = Callable[[Delivery, PlatformLookups], Awaitable[Mapped]]


def one_per_body(parse: Callable[[bytes], Submission]) -> Map:
    """The mapping of a platform whose body is one submission, parsed by ``parse``."""

    async def submissions(delivery: Delivery, _lookups: PlatformLookups) -> Mapped:
        return [parse(delivery.body)]

    return submissions


@dataclass(frozen=True, slots=True)
class Handshake:
    """A GET on the webhook's URL by which the platform checks it (route keywords)."""

    endpoint: Callable[..., Awaitable[Any]]
    summary: str
    responses: dict[int | str, dict[str, Any]]
    response_class: type[Response] = JSONResponse
    response_model: Any = None


@dataclass(frozen=True, slots=True)
class PlatformAdapter:
    source: str  # the URL's last segment, the metrics' label, the events' source
    media_types: frozenset[str]
    summary: str
    description: str
    verify: Verify
    map: Map
    # The credentials' header and query parameters, as FastAPI reads and documents them.
    credentials: Sequence[inspect.Parameter] = ()
    responses: dict[int | str, dict[str, Any]] = field(default_factory=lambda: RESPONSES_POST)
    body_model: type[BaseModel] | None = None  # the documented body, when we define it
    handshake: Handshake | None = None


def ignoring(description: str) -> dict[int | str, dict[str, Any]]:
    """The POST's answers when some deliveries are no lead: 200 ``Ignored`` as well."""
    return {**RESPONSES_POST, 200: {"model": Ignored, "description": description}}


def header(name: str, *, description: str | None = None, deprecated: bool | None = None) -> Any:
    """A credential sent as a header (``x_li_signature`` reads ``X-LI-Signature``)."""
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[str | None, Header(description=description, deprecated=deprecated)],
    )


CampaignParam = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=200,
        description="Our campaign for this webhook URL (and the secrets set for it).",
    ),
]
TokenParam = Annotated[
    str | None, Query(description="The shared secret, for platforms that sign nothing.")
]
TOKEN = inspect.Parameter(
    "token", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=TokenParam
)


def webhook_settings(request: Request) -> WebhookSettings:
    """For the handshakes (a plain function: no dependency, no worker thread)."""
    return part(request, WebhookSettings)


def secrets_of(source: str, inbound: Inbound, settings: WebhookSettings) -> list[SecretStr]:
    return settings.source(source).secrets_for(inbound.campaign_id)


def require(valid: bool, source: str, secrets: Sequence[SecretStr]) -> None:
    if not secrets:
        # Fail closed: an unconfigured platform accepts nothing.
        raise Unauthorized(f"No secret is configured for {source}.")
    if not valid:
        raise Unauthorized(f"The {source} signature is missing or does not match.")


class SignedBody(TypedDict):
    verify: Verify
    credentials: Sequence[inspect.Parameter]


def signed_body(
    source: str, credential: str, valid: Callable[[str | None, bytes, Sequence[SecretStr]], bool]
) -> SignedBody:
    """``verify`` and ``credentials`` of a platform that signs the body with an HMAC in
    the header ``credential`` (fail closed): ``PlatformAdapter(..., **signed_body(...))``."""

    def verify(inbound: Inbound, settings: WebhookSettings) -> Verified:
        secrets = secrets_of(source, inbound, settings)
        require(valid(inbound.credentials.get(credential), inbound.body, secrets), source, secrets)
        return Verified(inbound.body)

    return {"verify": verify, "credentials": (header(credential),)}


def check_token(token: str | None, secrets: Sequence[SecretStr]) -> None:
    """For platforms that sign nothing: when secrets are set, the URL carries one as
    ``?token=``."""
    if secrets and not signatures.shared_key_valid(token, secrets):
        raise Unauthorized("The ?token= of the webhook URL is missing or does not match.")


def url_token(source: str) -> Verify:
    """``check_token``; open without secrets (and then not known to be the platform's)."""

    def verify(inbound: Inbound, settings: WebhookSettings) -> Verified:
        secrets = secrets_of(source, inbound, settings)
        check_token(inbound.credentials.get("token"), secrets)
        return Verified(inbound.body, authenticated=bool(secrets))

    return verify


def bearer(token: SecretStr | None) -> str:
    # Only ever in the Authorization header (RFC 6750 section 2.1), never the query
    # string: URLs end up in logs, proxies and traces; the token reads every lead.
    return f"Bearer {token.get_secret_value() if token else ''}"
