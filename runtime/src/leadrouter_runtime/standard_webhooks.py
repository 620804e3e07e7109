"""Standard Webhooks signatures (https://www.standardwebhooks.com, the specification's
``spec/standard-webhooks.md``), as pure functions: the scorer verifies the generic
inbound webhook with them, the router signs its outbound CRM webhook.

``webhook-signature: v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">``,
space-separated when several secrets sign at once (a rotation); the key is the base64
after ``whsec_``; a timestamp more than 5 minutes away from now is refused (replays).
Interoperable with that project's libraries (``standardwebhooks.Webhook``).
"""

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Final

from pydantic import SecretStr

SECRET_PREFIX: Final = "whsec_"  # noqa: S105  (a prefix, not a secret)
TOLERANCE_S: Final = 300
ID_HEADER: Final = "webhook-id"
TIMESTAMP_HEADER: Final = "webhook-timestamp"
SIGNATURE_HEADER: Final = "webhook-signature"


class Verdict(StrEnum):
    """What a check found; every verdict but ``VALID`` means: refuse (401)."""

    VALID = "valid"
    MISSING = "The webhook-id, webhook-timestamp or webhook-signature header is missing."
    STALE = "The webhook-timestamp is more than 5 minutes from now (a replay?)."
    MISMATCH = "No v1 signature in webhook-signature matches the body."


def key(secret: SecretStr) -> bytes | None:
    """The HMAC key of a ``whsec_<base64>`` secret; None for a secret of another form."""
    value = secret.get_secret_value()
    if not value.startswith(SECRET_PREFIX):
        return None
    encoded = value[len(SECRET_PREFIX) :]
    try:
        decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return decoded or None


def _mac(secret_key: bytes, webhook_id: str, timestamp: int, body: bytes) -> bytes:
    message = f"{webhook_id}.{timestamp}.".encode() + body
    return hmac.new(secret_key, message, hashlib.sha256).digest()


def signature(secret_key: bytes, *, webhook_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` signature."""
    return "v1," + base64.b64encode(_mac(secret_key, webhook_id, timestamp, body)).decode()


def headers(
    secrets: Sequence[SecretStr], *, webhook_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """What a sender adds to its request: one signature per secret (rotation)."""
    keys = [k for k in map(key, secrets) if k]
    if not keys:
        raise ValueError("no secret of the form whsec_<base64>")
    signed = " ".join(
        signature(k, webhook_id=webhook_id, timestamp=timestamp, body=body) for k in keys
    )
    return {ID_HEADER: webhook_id, TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signed}


def verdict(
    *,
    webhook_id: str | None,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    secrets: Sequence[SecretStr],
    now: datetime,
    tolerance_s: int = TOLERANCE_S,
) -> Verdict:
    """Check a request's signature with any of ``secrets`` (rotation); secrets not of
    the ``whsec_`` form take no part."""
    if not webhook_id or not timestamp or not signature:
        return Verdict.MISSING
    try:
        signed_at = int(timestamp)
    except ValueError:
        return Verdict.STALE
    if abs(now.timestamp() - signed_at) > tolerance_s:
        return Verdict.STALE
    expected = [_mac(k, webhook_id, signed_at, body) for k in map(key, secrets) if k]
    given = []
    for part in signature.split(" "):
        version, _, encoded = part.partition(",")
        if version != "v1":
            continue  # other versions (v1a: asymmetric) are not ours to check
        try:
            given.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            continue
    # Every pair is compared (no early exit), so timing does not tell which matched.
    results = [hmac.compare_digest(e, g) for e in expected for g in given]
    return Verdict.VALID if any(results) else Verdict.MISMATCH
