"""The generic webhook's deprecated signature, sent only while ``signing_secret`` is
set: HMAC-SHA256 over ``timestamp + "." + body`` with a shared secret, as
``X-Leadrouter-Signature: v1=<hex>`` next to ``X-Leadrouter-Timestamp`` (the scheme
Stripe documents: https://docs.stripe.com/webhooks#verify-manually). Its successor is
Standard Webhooks (``leadrouter_runtime.standard_webhooks``, ``signing_secrets``).
"""

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Leadrouter-Timestamp"
SIGNATURE_HEADER = "X-Leadrouter-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(
        secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return f"v1={digest}"


def verify(
    secret: str, *, timestamp: str, header: str, body: bytes, now: int, tolerance_s: int = 300
) -> bool:
    """What a receiver does: a fresh timestamp and one matching ``v1=`` signature."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance_s:
        return False
    expected = signature(secret, int(timestamp), body)
    return any(hmac.compare_digest(expected, part.strip()) for part in header.split(","))
