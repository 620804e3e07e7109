"""Signature checks, as pure functions: a verdict from the request's bytes, headers,
the accepted secrets and ``now``. Every comparison is constant-time
(``hmac.compare_digest``) and any one of the secrets (rotation window) may match."""

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import unquote

from pydantic import SecretStr


def _mac(secret: SecretStr, message: bytes) -> bytes:
    return hmac.new(secret.get_secret_value().encode(), message, hashlib.sha256).digest()


def _any_matches(expected: Sequence[bytes], given: bytes) -> bool:
    # Check every secret (no early exit) so timing does not tell which one matched.
    results = [hmac.compare_digest(candidate, given) for candidate in expected]
    return any(results)


def _prefixed(header: str | None, prefix: str) -> str | None:
    if header is None or not header.startswith(prefix):
        return None
    return header[len(prefix) :]


def hex_sha256_signature_valid(
    header: str | None, body: bytes, secrets: Sequence[SecretStr]
) -> bool:
    """``sha256=<hex HMAC-SHA256 of the raw body>``: Meta's ``X-Hub-Signature-256``
    (https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads)
    and our generic ``X-Leadrouter-Signature``."""
    given = _prefixed(header, "sha256=")
    if not given or not secrets:
        return False
    try:
        digest = bytes.fromhex(given)
    except ValueError:
        return False
    return _any_matches([_mac(s, body) for s in secrets], digest)


def typeform_signature_valid(header: str | None, body: bytes, secrets: Sequence[SecretStr]) -> bool:
    """``Typeform-Signature: sha256=<base64 HMAC-SHA256 of the raw body>``
    (https://www.typeform.com/developers/webhooks/secure-your-webhooks/)."""
    given = _prefixed(header, "sha256=")
    if not given or not secrets:
        return False
    try:
        digest = base64.b64decode(given, validate=True)
    except (binascii.Error, ValueError):
        return False
    return _any_matches([_mac(s, body) for s in secrets], digest)


# HubSpot decodes these percent-escapes in the URI before signing
# (https://developers.hubspot.com/docs/api/webhooks/validating-requests).
_HUBSPOT_DECODED = (
    "%3A",
    "%2F",
    "%3F",
    "%40",
    "%21",
    "%24",
    "%27",
    "%28",
    "%29",
    "%2A",
    "%2C",
    "%3B",
)


def hubspot_uri(uri: str) -> str:
    for escape in _HUBSPOT_DECODED:
        uri = uri.replace(escape, unquote(escape)).replace(escape.lower(), unquote(escape))
    return uri


def public_uri(public_base_url: str | None, *, received: str, path: str, query: str) -> str:
    """The URI the platform called: behind a proxy, its public scheme and host with our
    path and query; else the one this request arrived at."""
    if not public_base_url:
        return received
    return f"{public_base_url.rstrip('/')}{path}" + (f"?{query}" if query else "")


def hubspot_v3_signature_valid(
    *,
    header: str | None,
    timestamp: str | None,
    method: str,
    uri: str,
    body: bytes,
    secrets: Sequence[SecretStr],
    now: datetime,
    tolerance_s: int,
) -> bool:
    """``X-HubSpot-Signature-v3``: base64 HMAC-SHA256 (client secret) of
    method + URI + body + ``X-HubSpot-Request-Timestamp`` (ms since the epoch);
    a timestamp older than the tolerance (5 minutes) is refused as a replay."""
    if not header or not timestamp or not secrets:
        return False
    try:
        signed_at_ms = int(timestamp)
        digest = base64.b64decode(header, validate=True)
    except (ValueError, binascii.Error):
        return False
    age_s = now.timestamp() - signed_at_ms / 1000
    if abs(age_s) > tolerance_s:
        return False
    message = method.upper().encode() + hubspot_uri(uri).encode() + body + timestamp.encode()
    return _any_matches([_mac(s, message) for s in secrets], digest)


def shared_key_valid(given: str | None, secrets: Sequence[SecretStr]) -> bool:
    """A key sent as is (Google Ads' ``google_key``, a URL token): constant-time equality."""
    if not given or not secrets:
        return False
    return _any_matches([s.get_secret_value().encode() for s in secrets], given.encode())


def linkedin_signature_valid(header: str | None, body: bytes, secrets: Sequence[SecretStr]) -> bool:
    """``X-LI-Signature``: hex HMAC-SHA256 with the app's client secret "of the
    JSON-encoded string representation of the POST body prefixed by ``hmacsha256=``"
    (https://learn.microsoft.com/en-us/linkedin/shared/api-guide/webhook-validation).
    The sentence reads two ways, both accepted: the digest of ``hmacsha256=`` + body, or
    the digest of the body sent as ``hmacsha256=<hex>``. Either needs the secret."""
    if header is None or not secrets:
        return False
    given = header.strip()
    given = given[len("hmacsha256=") :] if given.lower().startswith("hmacsha256=") else given
    try:
        digest = bytes.fromhex(given)
    except ValueError:
        return False
    if not digest:
        return False
    expected = [_mac(s, b"hmacsha256=" + body) for s in secrets] + [_mac(s, body) for s in secrets]
    return _any_matches(expected, digest)


def linkedin_challenge_response(challenge_code: str, secret: SecretStr) -> str:
    """``challengeResponse = Hex-encoded(HMACSHA256(challengeCode, clientSecret))``."""
    return _mac(secret, challenge_code.encode()).hex()
