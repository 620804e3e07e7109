"""``POST /v1/webhooks/{source}``: one route per platform, each answering 202 only once
Kafka holds the lead. The routes stay thin: the gateway does what all share, the
``platforms`` modules map payloads, ``signatures`` checks authenticity."""

import re
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import uuid4

import structlog
from fastapi import APIRouter, Depends, Header, Query, Request, status
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from leadrouter_runtime import standard_webhooks
from leadrouter_scorer.state import ScorerState, scorer_state
from leadrouter_scorer.webhooks import signatures
from leadrouter_scorer.webhooks.gateway import FORM, JSON, IntakeTopics, WebhookGateway
from leadrouter_scorer.webhooks.openapi import RESPONSES, RESPONSES_POST, request_body
from leadrouter_scorer.webhooks.platforms import google_ads
from leadrouter_scorer.webhooks.platforms.common import json_object
from leadrouter_scorer.webhooks.problems import Forbidden, Unauthorized, UnknownSource
from leadrouter_scorer.webhooks.quarantine import Delivery
from leadrouter_scorer.webhooks.routing import WebhookRoute, webhook_gateway
from leadrouter_scorer.webhooks.schemas import Accepted, GenericLead, Ignored, Quarantined

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"], route_class=WebhookRoute)

_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

Gateway = Annotated[WebhookGateway, Depends(webhook_gateway)]
State = Annotated[ScorerState, Depends(scorer_state)]
CampaignParam = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=200,
        description="Our campaign for this webhook URL (and the secrets set for it).",
    ),
]
CorrelationHeader = Annotated[str | None, Header(description="Carried to every event.")]
SignatureHeader = Annotated[str | None, Header(description="Standard Webhooks.")]
TokenParam = Annotated[
    str | None, Query(description="The shared secret, for platforms that sign nothing.")
]


def correlation_id_of(header: str | None) -> str:
    """The caller's id when it is usable, else a new one."""
    return header if header and _CORRELATION_ID.match(header) else str(uuid4())


async def _receive(
    request: Request,
    source: str,
    body: bytes,
    *,
    gateway: WebhookGateway,
    state: ScorerState,
    campaign_id: str | None,
    correlation_id: str | None,
    authenticated: bool = True,
) -> Any:
    """Map and publish an authentic request: 202 with the leads, 202 ``quarantined``
    when it cannot be mapped, 200 when it is no lead (e.g. an unsubscribe)."""
    delivery = Delivery(
        source=source,
        body=body,
        content_type=request.headers.get("content-type", ""),
        campaign_id=campaign_id,
        correlation_id=correlation_id_of(correlation_id),
        received_at=datetime.now(UTC),
        authenticated=authenticated,
    )
    outcome = await gateway.receive(
        delivery, producer=state.producer, topics=IntakeTopics.of(state.settings.kafka)
    )
    if isinstance(outcome, Ignored):
        return JSONResponse(outcome.model_dump())
    if isinstance(outcome, Quarantined):
        return JSONResponse(outcome.model_dump(mode="json"), status.HTTP_202_ACCEPTED)
    return outcome


def _require(valid: bool, source: str, gateway: WebhookGateway, campaign_id: str | None) -> None:
    if not gateway.settings.source(source).secrets_for(campaign_id):
        # Fail closed: an unconfigured platform accepts nothing.
        raise Unauthorized(f"No secret is configured for {source}.")
    if not valid:
        raise Unauthorized(f"The {source} signature is missing or does not match.")


# 202: on leads.received, or (authentic but not mappable) kept in the quarantine.
ACCEPTED: dict[str, Any] = {
    "status_code": status.HTTP_202_ACCEPTED,
    "response_model": Accepted | Quarantined,
}


@router.post(
    "/generic",
    **ACCEPTED,
    summary="Receive a campaign response in our generic JSON format",
    description="When secrets are set for `generic`, signed the Standard Webhooks way "
    "(https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp` (within 5 "
    "minutes) and `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>` with a "
    "`whsec_` secret; open otherwise. `X-Leadrouter-Signature` alone (deprecated) only "
    "while `accept_legacy_signature` is set.",
    responses=RESPONSES_POST,
    openapi_extra=request_body(JSON, GenericLead),
)
async def receive_generic(
    request: Request,
    gateway: Gateway,
    state: State,
    campaign_id: CampaignParam = None,
    webhook_id: SignatureHeader = None,
    webhook_timestamp: SignatureHeader = None,
    webhook_signature: SignatureHeader = None,
    x_leadrouter_signature: Annotated[
        str | None, Header(deprecated=True, description="The old scheme, without a timestamp.")
    ] = None,
    x_correlation_id: CorrelationHeader = None,
) -> Any:
    gateway.admit("generic")
    body = await gateway.read_body(request, media_types=JSON)
    settings = gateway.settings.generic
    secrets = settings.secrets_for(campaign_id)
    if secrets:
        verdict = standard_webhooks.verdict(
            webhook_id=webhook_id,
            timestamp=webhook_timestamp,
            signature=webhook_signature,
            body=body,
            secrets=secrets,
            now=datetime.now(UTC),
            tolerance_s=settings.timestamp_tolerance_s,
        )
        legacy = (
            verdict is standard_webhooks.Verdict.MISSING
            and settings.accept_legacy_signature
            and signatures.hex_sha256_signature_valid(x_leadrouter_signature, body, secrets)
        )
        if legacy:
            log.warning("webhook.legacy_signature", source="generic", campaign_id=campaign_id)
        elif verdict is not standard_webhooks.Verdict.VALID:
            raise Unauthorized(verdict.value)
    return await _receive(
        request,
        "generic",
        body,
        gateway=gateway,
        state=state,
        campaign_id=campaign_id,
        correlation_id=x_correlation_id,
        # Open when no secret is set: then a body we cannot map is the caller's 422.
        authenticated=bool(secrets),
    )


@router.post(
    "/hubspot",
    **ACCEPTED,
    summary="Receive a HubSpot contact: a workflow webhook or a Webhooks API batch",
    description="Signed with `X-HubSpot-Signature-v3` and `X-HubSpot-Request-Timestamp`. "
    "A JSON object is a workflow webhook's contact; a JSON array is a Webhooks API batch "
    "whose `contact.creation` / `contact.propertyChange` contacts are read from the CRM "
    "API (one lead per contact; 200 when the batch has none; 503 when the API fails).",
    responses={**RESPONSES_POST, 200: {"model": Ignored, "description": "No contact event"}},
    openapi_extra=request_body(JSON),
)
async def receive_hubspot(
    request: Request,
    gateway: Gateway,
    state: State,
    campaign_id: CampaignParam = None,
    x_hubspot_signature_v3: Annotated[str | None, Header()] = None,
    x_hubspot_request_timestamp: Annotated[str | None, Header()] = None,
    x_correlation_id: CorrelationHeader = None,
) -> Any:
    gateway.admit("hubspot")
    body = await gateway.read_body(request, media_types=JSON)
    settings = gateway.settings
    uri = signatures.public_uri(
        settings.public_base_url,
        received=str(request.url),
        path=request.url.path,
        query=request.url.query,
    )
    valid = signatures.hubspot_v3_signature_valid(
        header=x_hubspot_signature_v3,
        timestamp=x_hubspot_request_timestamp,
        method=request.method,
        uri=uri,
        body=body,
        secrets=settings.hubspot.secrets_for(campaign_id),
        now=datetime.now(UTC),
        tolerance_s=settings.hubspot.timestamp_tolerance_s,
    )
    _require(valid, "hubspot", gateway, campaign_id)
    return await _receive(
        request,
        "hubspot",
        body,
        gateway=gateway,
        state=state,
        campaign_id=campaign_id,
        correlation_id=x_correlation_id,
    )


@router.post(
    "/typeform",
    **ACCEPTED,
    summary="Receive a Typeform form_response",
    description="Signed with `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the body>`.",
    responses=RESPONSES_POST,
    openapi_extra=request_body(JSON),
)
async def receive_typeform(
    request: Request,
    gateway: Gateway,
    state: State,
    campaign_id: CampaignParam = None,
    typeform_signature: Annotated[str | None, Header()] = None,
    x_correlation_id: CorrelationHeader = None,
) -> Any:
    gateway.admit("typeform")
    body = await gateway.read_body(request, media_types=JSON)
    secrets = gateway.settings.typeform.secrets_for(campaign_id)
    valid = signatures.typeform_signature_valid(typeform_signature, body, secrets)
    _require(valid, "typeform", gateway, campaign_id)
    return await _receive(
        request,
        "typeform",
        body,
        gateway=gateway,
        state=state,
        campaign_id=campaign_id,
        correlation_id=x_correlation_id,
    )


@router.post(
    "/google-ads",
    **ACCEPTED,
    summary="Receive a Google Ads lead form extension lead",
    description="Authenticated by `google_key` in the body, equal to the configured key.",
    responses=RESPONSES_POST,
    openapi_extra=request_body(JSON),
)
async def receive_google_ads(
    request: Request,
    gateway: Gateway,
    state: State,
    campaign_id: CampaignParam = None,
    x_correlation_id: CorrelationHeader = None,
) -> Any:
    gateway.admit("google-ads")
    body = await gateway.read_body(request, media_types=JSON)
    # The key is inside the body: it must be parsed (size-bounded) before it is checked,
    # and it is a secret: what is kept (and maybe quarantined) is the body without it.
    raw = json_object(body)
    secrets = gateway.settings.google_ads.secrets_for(campaign_id)
    _require(
        signatures.shared_key_valid(google_ads.key_of(raw), secrets),
        "google-ads",
        gateway,
        campaign_id,
    )
    return await _receive(
        request,
        "google-ads",
        google_ads.without_key(body, raw),
        gateway=gateway,
        state=state,
        campaign_id=campaign_id,
        correlation_id=x_correlation_id,
    )


@router.get(
    "/facebook",
    summary="Meta's webhook verification: echo hub.challenge",
    response_class=PlainTextResponse,
    responses={
        200: {"content": {"text/plain": {}}, "description": "The challenge, echoed"},
        403: RESPONSES[403],
        422: RESPONSES[422],
    },
)
async def verify_facebook(
    gateway: Gateway,
    mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    verify_token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge", max_length=200)] = None,
) -> PlainTextResponse:
    # https://developers.facebook.com/docs/graph-api/webhooks/getting-started#verification-requests
    expected = gateway.settings.facebook.verify_token
    if (
        mode != "subscribe"
        or expected is None
        or not signatures.shared_key_valid(verify_token, [expected])
    ):
        raise Forbidden("hub.mode must be subscribe and hub.verify_token the configured token.")
    return PlainTextResponse(challenge or "")


@router.post(
    "/facebook",
    **ACCEPTED,
    summary="Receive a Meta Lead Ads leadgen notification",
    description="Signed with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>` "
    "(the app secret); each lead's answers are read from the Graph API. 503 when the "
    "Graph API fails: nothing is stored and Meta sends the notification again.",
    responses={**RESPONSES_POST, 200: {"model": Ignored, "description": "No lead in it"}},
    openapi_extra=request_body(JSON),
)
async def receive_facebook(
    request: Request,
    gateway: Gateway,
    state: State,
    campaign_id: CampaignParam = None,
    x_hub_signature_256: Annotated[str | None, Header()] = None,
    x_correlation_id: CorrelationHeader = None,
) -> Any:
    gateway.admit("facebook")
    body = await gateway.read_body(request, media_types=JSON)
    secrets = gateway.settings.facebook.secrets_for(campaign_id)
    valid = signatures.hex_sha256_signature_valid(x_hub_signature_256, body, secrets)
    _require(valid, "facebook", gateway, campaign_id)
    return await _receive(
        request,
        "facebook",
        body,
        gateway=gateway,
        state=state,
        campaign_id=campaign_id,
        correlation_id=x_correlation_id,
    )


@router.post(
    "/unbounce",
    **ACCEPTED,
    summary="Receive an Unbounce landing-page form submission",
    description="URL-encoded with `data.json`; when secrets are set, the URL carries one "
    "as `?token=`.",
    responses=RESPONSES_POST,
    openapi_extra=request_body(FORM),
)
async def receive_unbounce(
    request: Request,
    gateway: Gateway,
    state: State,
    campaign_id: CampaignParam = None,
    token: TokenParam = None,
    x_correlation_id: CorrelationHeader = None,
) -> Any:
    gateway.admit("unbounce")
    body = await gateway.read_body(request, media_types=FORM)
    secrets = gateway.settings.unbounce.secrets_for(campaign_id)
    if secrets and not signatures.shared_key_valid(token, secrets):
        raise Unauthorized("The ?token= of the webhook URL is missing or does not match.")
    return await _receive(
        request,
        "unbounce",
        body,
        gateway=gateway,
        state=state,
        campaign_id=campaign_id,
        correlation_id=x_correlation_id,
        authenticated=bool(secrets),
    )


@router.get(
    "/mailchimp",
    summary="Mailchimp's check that the webhook URL exists",
    responses={200: {"description": "The URL exists"}, 401: RESPONSES[401]},
)
async def verify_mailchimp(
    gateway: Gateway, campaign_id: CampaignParam = None, token: TokenParam = None
) -> dict[str, str]:
    secrets = gateway.settings.mailchimp.secrets_for(campaign_id)
    if secrets and not signatures.shared_key_valid(token, secrets):
        raise Unauthorized("The ?token= of the webhook URL is missing or does not match.")
    return {"status": "ok"}


@router.post(
    "/mailchimp",
    **ACCEPTED,
    summary="Receive a Mailchimp audience subscribe",
    description="URL-encoded (`type=subscribe&data[email]=...`); other types are "
    "acknowledged with 200 and ignored. When secrets are set, the URL carries one as "
    "`?token=`.",
    responses={**RESPONSES_POST, 200: {"model": Ignored, "description": "Not a subscribe"}},
    openapi_extra=request_body(FORM),
)
async def receive_mailchimp(
    request: Request,
    gateway: Gateway,
    state: State,
    campaign_id: CampaignParam = None,
    token: TokenParam = None,
    x_correlation_id: CorrelationHeader = None,
) -> Any:
    gateway.admit("mailchimp")
    body = await gateway.read_body(request, media_types=FORM)
    secrets = gateway.settings.mailchimp.secrets_for(campaign_id)
    if secrets and not signatures.shared_key_valid(token, secrets):
        raise Unauthorized("The ?token= of the webhook URL is missing or does not match.")
    return await _receive(
        request,
        "mailchimp",
        body,
        gateway=gateway,
        state=state,
        campaign_id=campaign_id,
        correlation_id=x_correlation_id,
        # Mailchimp signs nothing: a request is only known to be ours by the token.
        authenticated=bool(secrets),
    )


class LinkedInChallenge(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    challenge_code: str = Field(alias="challengeCode")
    challenge_response: str = Field(
        alias="challengeResponse",
        description="Hex HMAC-SHA256 of challengeCode with the app's client secret.",
    )


@router.get(
    "/linkedin",
    summary="LinkedIn's webhook validation: answer the challengeCode",
    response_model=LinkedInChallenge,
    responses={403: RESPONSES[403], 422: RESPONSES[422]},
)
async def verify_linkedin(
    gateway: Gateway,
    challenge_code: Annotated[str, Query(alias="challengeCode", min_length=1, max_length=200)],
    application_id: Annotated[str | None, Query(alias="applicationId", max_length=200)] = None,
    campaign_id: CampaignParam = None,
) -> LinkedInChallenge:
    # https://learn.microsoft.com/en-us/linkedin/shared/api-guide/webhook-validation: a GET
    # with ?challengeCode= at registration and every 2 hours, answered within 3 s.
    secrets = gateway.settings.linkedin.secrets_for(campaign_id)
    if not secrets:
        raise Forbidden("No client secret is configured for linkedin.")
    return LinkedInChallenge(
        challenge_code=challenge_code,
        challenge_response=signatures.linkedin_challenge_response(challenge_code, secrets[0]),
    )


@router.post(
    "/linkedin",
    **ACCEPTED,
    summary="Receive a LinkedIn Lead Gen Forms lead notification",
    description="Signed with `X-LI-Signature` (hex HMAC-SHA256 with the app's client "
    "secret); the lead's answers are read from LinkedIn's API "
    "(`/rest/leadFormResponses/{id}`, `/rest/leadForms/{id}`). `leadAction: DELETED` is "
    "acknowledged with 200 and ignored. 503 when LinkedIn's API fails: nothing is stored.",
    responses={**RESPONSES_POST, 200: {"model": Ignored, "description": "No new lead"}},
    openapi_extra=request_body(JSON),
)
async def receive_linkedin(
    request: Request,
    gateway: Gateway,
    state: State,
    campaign_id: CampaignParam = None,
    x_li_signature: Annotated[str | None, Header()] = None,
    x_correlation_id: CorrelationHeader = None,
) -> Any:
    gateway.admit("linkedin")
    body = await gateway.read_body(request, media_types=JSON)
    secrets = gateway.settings.linkedin.secrets_for(campaign_id)
    valid = signatures.linkedin_signature_valid(x_li_signature, body, secrets)
    _require(valid, "linkedin", gateway, campaign_id)
    return await _receive(
        request,
        "linkedin",
        body,
        gateway=gateway,
        state=state,
        campaign_id=campaign_id,
        correlation_id=x_correlation_id,
    )


@router.post(
    "/{source}",
    summary="Any other source: not known here",
    responses={404: RESPONSES[404]},
    include_in_schema=True,
)
async def receive_unknown(source: str) -> None:
    raise UnknownSource(f"No webhook source named {source!r}.")
