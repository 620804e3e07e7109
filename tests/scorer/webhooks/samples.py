"""Fixture payloads (see fixtures/README.md for where each comes from) and their signatures."""

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(fixture(name))
    return data


def as_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode()


def _mac(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def typeform_signature(secret: str, body: bytes) -> str:
    return "sha256=" + base64.b64encode(_mac(secret, body)).decode()


def hex_signature(secret: str, body: bytes) -> str:
    return "sha256=" + _mac(secret, body).hex()


def hubspot_headers(
    secret: str, url: str, body: bytes, *, at_ms: int | None = None
) -> dict[str, str]:
    timestamp = str(at_ms if at_ms is not None else int(time.time() * 1000))
    message = b"POST" + url.encode() + body + timestamp.encode()
    return {
        "X-HubSpot-Signature-v3": base64.b64encode(_mac(secret, message)).decode(),
        "X-HubSpot-Request-Timestamp": timestamp,
    }


async def post_hubspot(
    client: httpx.AsyncClient, url: str, body: bytes, *, secret: str, correlation_id: str = ""
) -> httpx.Response:
    """``body`` posted to ``url`` as HubSpot sends it: JSON, signed (v3) with ``secret``."""
    headers = {"Content-Type": "application/json", **hubspot_headers(secret, url, body)}
    if correlation_id:
        headers["X-Correlation-ID"] = correlation_id
    return await client.post(url, content=body, headers=headers)


def unbounce_form(data: dict[str, Any], *, page_id: str = "3e7b2e5c-page") -> bytes:
    return urlencode(
        {
            "page_id": page_id,
            "page_url": "https://unbouncepages.com/spring-demo/",
            "page_name": "Spring demo",
            "variant": "a",
            "data.json": json.dumps(data),
        }
    ).encode()
