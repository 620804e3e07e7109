"""Unbounce landing-page form webhooks: a URL-encoded form with ``data.json`` (the
answers, each a list of values), ``page_id``, ``page_url``, ``page_name`` and
``variant`` (https://documentation.unbounce.com/hc/en-us/articles/203510044).

Unbounce signs nothing: when secrets are set, the webhook URL must carry one as
``?token=``. It sends no submission id either, so the delivery id is a digest of
``data.json`` and the lead is keyed by its e-mail.
"""

from datetime import UTC, datetime
from typing import Any

from leadrouter_scorer.webhooks import adapters
from leadrouter_scorer.webhooks.platforms.common import (
    LeadDraft,
    Submission,
    answer_text,
    body_digest,
    json_value,
    missing,
)
from leadrouter_scorer.webhooks.platforms.forms import form_fields

# Fields Unbounce adds to every submission: about the page, not answers (kept in raw).
_META = {"page_uuid", "page_url", "page_name", "variant", "time_submitted", "date_submitted"}


def _submitted_at(data: dict[str, Any]) -> datetime | None:
    """``date_submitted`` ``2023-06-06`` and ``time_submitted`` ``10:57 PM UTC`` (always UTC)."""
    day = answer_text(data.get("date_submitted"))
    time = answer_text(data.get("time_submitted"))
    if not day or not time:
        return None
    try:
        moment = datetime.strptime(f"{day} {time.removesuffix(' UTC')}", "%Y-%m-%d %I:%M %p")
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC)


def submission(body: bytes) -> Submission:
    fields = form_fields(body)
    if "data.json" not in fields:
        raise missing("data.json")
    data: Any = json_value(fields["data.json"], "data.json")
    if not isinstance(data, dict):
        raise missing("data.json", reason="Expected a JSON object", kind="dict_type")
    draft = LeadDraft()
    ip: str | None = None
    for name, values in data.items():
        value = answer_text(values)
        if name == "ip_address":
            ip = value
        elif name not in _META:
            draft.add(str(name), value)
    if fields.get("page_url"):
        draft.attribution.setdefault("landing_page", fields["page_url"])
    consent = [
        name for name in draft.answers if "consent" in name.lower() or "gdpr" in name.lower()
    ]
    if consent:
        # A checkbox named like "gdpr_consent": its value is the checked label or empty.
        answer = draft.answers[consent[0]].strip().lower()
        given = answer not in ("", "no", "false", "0", "off")
        draft.consent = {"given": given, "text": consent[0], "ip": ip}
    raw: dict[str, Any] = {name: value for name, value in fields.items() if name != "data.xml"}
    raw["data.json"] = data
    page_id = fields.get("page_id") or None
    return Submission(
        delivery_id=body_digest(fields["data.json"].encode()),
        external_id=None,
        draft=draft,
        raw=raw,
        submitted_at=_submitted_at(data),
        form_id=page_id,
        platform_campaign_id=page_id,
    )


ADAPTER = adapters.PlatformAdapter(
    source="unbounce",
    media_types=adapters.FORM,
    summary="Receive an Unbounce landing-page form submission",
    description="URL-encoded with `data.json`; when secrets are set, the URL carries one "
    "as `?token=`.",
    verify=adapters.url_token("unbounce"),
    map=adapters.one_per_body(submission),
    credentials=(adapters.TOKEN,),
)
