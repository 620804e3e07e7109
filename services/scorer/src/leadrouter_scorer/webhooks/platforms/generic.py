"""Our own JSON format (``GenericLead``), signed the Standard Webhooks way when secrets
are set (``leadrouter_runtime.standard_webhooks``)."""

import structlog

from leadrouter_runtime import standard_webhooks
from leadrouter_scorer.webhooks import adapters, signatures
from leadrouter_scorer.webhooks.config import WebhookSettings
from leadrouter_scorer.webhooks.platforms.common import (
    LeadDraft,
    Submission,
    body_digest,
    json_object,
    validated,
)
from leadrouter_scorer.webhooks.problems import Unauthorized
from leadrouter_scorer.webhooks.schemas import GenericLead

log = structlog.get_logger(__name__)


def submission(body: bytes) -> Submission:
    raw = json_object(body)
    lead = validated(GenericLead, raw)
    draft = LeadDraft(
        contact=lead.contact.model_dump(exclude_none=True),
        company=lead.company.model_dump(exclude_none=True),
        attribution=lead.attribution.model_dump(exclude_none=True),
        answers=dict(lead.answers),
        consent=lead.consent.model_dump(exclude_none=True) if lead.consent else None,
    )
    return Submission(
        delivery_id=lead.external_id or body_digest(body),
        external_id=lead.external_id,
        draft=draft,
        raw=raw,
        submitted_at=lead.submitted_at,
        form_id=lead.form_id,
        campaign_id=lead.campaign_id,
        strict=True,
    )


def verify(inbound: adapters.Inbound, settings: WebhookSettings) -> adapters.Verified:
    """When secrets are set, Standard Webhooks (or, while ``accept_legacy_signature`` is
    set, the deprecated ``X-Leadrouter-Signature``); open otherwise: then a body we
    cannot map is the caller's 422."""
    generic = settings.generic
    secrets = generic.secrets_for(inbound.campaign_id)
    if not secrets:
        return adapters.Verified(inbound.body, authenticated=False)
    given = inbound.credentials
    verdict = standard_webhooks.verdict(
        webhook_id=given.get("webhook_id"),
        timestamp=given.get("webhook_timestamp"),
        signature=given.get("webhook_signature"),
        body=inbound.body,
        secrets=secrets,
        now=inbound.now,
        tolerance_s=generic.timestamp_tolerance_s,
    )
    legacy = (
        verdict is standard_webhooks.Verdict.MISSING
        and generic.accept_legacy_signature
        and signatures.hex_sha256_signature_valid(
            given.get("x_leadrouter_signature"), inbound.body, secrets
        )
    )
    if legacy:
        log.warning("webhook.legacy_signature", source="generic", campaign_id=inbound.campaign_id)
    elif verdict is not standard_webhooks.Verdict.VALID:
        raise Unauthorized(verdict.value)
    return adapters.Verified(inbound.body)


ADAPTER = adapters.PlatformAdapter(
    source="generic",
    media_types=adapters.JSON,
    summary="Receive a campaign response in our generic JSON format",
    description="When secrets are set for `generic`, signed the Standard Webhooks way "
    "(https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp` (within 5 "
    "minutes) and `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>` with a "
    "`whsec_` secret; open otherwise. `X-Leadrouter-Signature` alone (deprecated) only "
    "while `accept_legacy_signature` is set.",
    verify=verify,
    map=adapters.one_per_body(submission),
    credentials=(
        adapters.header("webhook_id", description="Standard Webhooks."),
        adapters.header("webhook_timestamp", description="Standard Webhooks."),
        adapters.header("webhook_signature", description="Standard Webhooks."),
        adapters.header(
            "x_leadrouter_signature",
            deprecated=True,
            description="The old scheme, without a timestamp.",
        ),
    ),
    body_model=GenericLead,
)
