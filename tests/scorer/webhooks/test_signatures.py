"""Signature checks: the platforms' documented constructions, computed here independently."""

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from leadrouter_scorer.webhooks import signatures

BODY = b'{"event_id":"LtWXD3crgy"}'
CURRENT, PREVIOUS = SecretStr("current-secret"), SecretStr("previous-secret")
NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def mac(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def test_typeform_signature_is_base64_hmac_of_the_body() -> None:
    header = "sha256=" + base64.b64encode(mac("current-secret", BODY)).decode()
    assert signatures.typeform_signature_valid(header, BODY, [CURRENT])
    assert not signatures.typeform_signature_valid(header, BODY + b" ", [CURRENT])
    assert not signatures.typeform_signature_valid(header.removeprefix("sha256="), BODY, [CURRENT])
    assert not signatures.typeform_signature_valid("sha256=not base64!", BODY, [CURRENT])
    assert not signatures.typeform_signature_valid(None, BODY, [CURRENT])


def test_meta_signature_is_hex_hmac_of_the_body() -> None:
    header = "sha256=" + mac("current-secret", BODY).hex()
    assert signatures.hex_sha256_signature_valid(header, BODY, [CURRENT])
    assert not signatures.hex_sha256_signature_valid(header, BODY, [SecretStr("other")])
    assert not signatures.hex_sha256_signature_valid("sha256=zz", BODY, [CURRENT])
    assert not signatures.hex_sha256_signature_valid("sha1=" + header[7:], BODY, [CURRENT])


def test_during_a_rotation_the_previous_secret_still_verifies() -> None:
    old = "sha256=" + mac("previous-secret", BODY).hex()
    assert signatures.hex_sha256_signature_valid(old, BODY, [CURRENT, PREVIOUS])
    assert not signatures.hex_sha256_signature_valid(old, BODY, [CURRENT])


def test_no_secret_verifies_nothing() -> None:
    header = "sha256=" + mac("", BODY).hex()
    assert not signatures.hex_sha256_signature_valid(header, BODY, [])
    assert not signatures.shared_key_valid("", [])


def hubspot_header(uri: str, timestamp: str, body: bytes = BODY) -> str:
    # https://developers.hubspot.com/docs/api/webhooks/validating-requests
    message = b"POST" + uri.encode() + body + timestamp.encode()
    return base64.b64encode(mac("current-secret", message)).decode()


def hubspot_valid(header: str, timestamp: str, uri: str, *, now: datetime = NOW) -> bool:
    return signatures.hubspot_v3_signature_valid(
        header=header,
        timestamp=timestamp,
        method="POST",
        uri=uri,
        body=BODY,
        secrets=[PREVIOUS, CURRENT],
        now=now,
        tolerance_s=300,
    )


def test_hubspot_v3_signs_method_uri_body_and_timestamp() -> None:
    uri = "https://leads.example.com/v1/webhooks/hubspot?campaign_id=spring"
    timestamp = str(int(NOW.timestamp() * 1000))
    header = hubspot_header(uri, timestamp)
    assert hubspot_valid(header, timestamp, uri)
    assert not hubspot_valid(header, timestamp, uri.replace("spring", "autumn"))
    assert not hubspot_valid(header, str(int(timestamp) + 1), uri)


def test_hubspot_decodes_the_listed_escapes_of_the_uri() -> None:
    signed = "https://leads.example.com/v1/webhooks/hubspot?campaign_id=a:b"
    timestamp = str(int(NOW.timestamp() * 1000))
    received = signed.replace(":b", "%3Ab")
    assert hubspot_valid(hubspot_header(signed, timestamp), timestamp, received)


@pytest.mark.parametrize(("age_s", "valid"), [(299, True), (301, False), (-301, False)])
def test_hubspot_refuses_a_timestamp_older_than_five_minutes(age_s: int, valid: bool) -> None:
    uri = "https://leads.example.com/v1/webhooks/hubspot"
    timestamp = str(int((NOW - timedelta(seconds=age_s)).timestamp() * 1000))
    assert hubspot_valid(hubspot_header(uri, timestamp), timestamp, uri) is valid


def test_hubspot_without_timestamp_or_with_garbage_is_refused() -> None:
    uri = "https://leads.example.com/v1/webhooks/hubspot"
    assert not hubspot_valid(hubspot_header(uri, ""), "", uri)
    assert not hubspot_valid("***", str(int(NOW.timestamp() * 1000)), uri)
    assert not hubspot_valid(hubspot_header(uri, "soon"), "soon", uri)


def test_shared_key_is_exact_equality_with_any_current_secret() -> None:
    assert signatures.shared_key_valid("previous-secret", [CURRENT, PREVIOUS])
    assert not signatures.shared_key_valid("previous-secre", [CURRENT, PREVIOUS])
    assert not signatures.shared_key_valid(None, [CURRENT])


def test_behind_a_proxy_the_signed_uri_is_the_public_one() -> None:
    received = "http://10.0.0.7:8001/v1/webhooks/hubspot?campaign_id=spring"
    path, query = "/v1/webhooks/hubspot", "campaign_id=spring"
    assert signatures.public_uri(None, received=received, path=path, query=query) == received
    assert (
        signatures.public_uri(
            "https://leads.example.com/", received=received, path=path, query=query
        )
        == "https://leads.example.com/v1/webhooks/hubspot?campaign_id=spring"
    )
    assert (
        signatures.public_uri("https://leads.example.com", received=received, path=path, query="")
        == "https://leads.example.com/v1/webhooks/hubspot"
    )
