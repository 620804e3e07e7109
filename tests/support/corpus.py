"""The corpus of documented platform payloads (``tests/fixtures/platforms``): each case
a folder with the request body as the platform's documentation shows it, and a
``case.json``::

    {
      "request": {
        "source": "facebook",                # the webhook path: /v1/webhooks/<source>
        "content_type": "application/json",
        "body": "body.json",                 # the bytes posted, verbatim
        "signing": "meta",                   # a scheme of SIGNING below
        "headers": {},                       # extra headers the platform sends (optional)
        "graph": {"<leadgen id>": "graph/<leadgen id>.json"},  # Meta: the Graph API lead
        "api": {"/rest/leadForms/1": "api/leadForm.json"}     # other platform APIs, by path
      },
      "expect": {
        "status": 202,
        "leads": [{"lead_key": "...", "contact": {...}, "company": {...}, "answers": {...},
                   "same_person": ["<lead key>"]}]        # optional
      }
    }

Each listed field must reach the CRM with that value; fields not listed are not
checked. ``same_person`` lists leads of the same delivery that the router joins to
this one (the same e-mail): one of them is posted, once, whichever came first.
A new platform adds its folder and, if it signs differently, a scheme here.
"""

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "platforms"

# (body, secret, url) -> (body to post, headers, query parameters)
Signed = tuple[bytes, dict[str, str], dict[str, str]]
Signer = Callable[[bytes, str, str], Signed]


def _mac(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def _google_key(body: bytes, secret: str, _url: str) -> Signed:
    # The key is a field of the body, spelled google_key (implementation page) or
    # Google_key (testing page): its documented placeholder value becomes ours.
    pattern = re.compile(rb'("google_key"\s*:\s*")[^"]*(")', re.IGNORECASE)
    signed, count = pattern.subn(lambda m: m.group(1) + secret.encode() + m.group(2), body)
    assert count == 1, "a Google Ads case needs exactly one key field"
    return signed, {}, {}


def _meta(body: bytes, secret: str, _url: str) -> Signed:
    # https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads
    return body, {"X-Hub-Signature-256": "sha256=" + _mac(secret, body).hex()}, {}


def _typeform(body: bytes, secret: str, _url: str) -> Signed:
    # https://www.typeform.com/developers/webhooks/secure-your-webhooks/
    signature = "sha256=" + base64.b64encode(_mac(secret, body)).decode()
    return body, {"Typeform-Signature": signature}, {}


def _hubspot_v3(body: bytes, secret: str, url: str) -> Signed:
    # https://developers.hubspot.com/docs/api/webhooks/validating-requests
    timestamp = str(int(time.time() * 1000))
    message = b"POST" + url.encode() + body + timestamp.encode()
    headers = {
        "X-HubSpot-Signature-v3": base64.b64encode(_mac(secret, message)).decode(),
        "X-HubSpot-Request-Timestamp": timestamp,
    }
    return body, headers, {}


def _linkedin(body: bytes, secret: str, _url: str) -> Signed:
    # https://learn.microsoft.com/en-us/linkedin/shared/api-guide/webhook-validation: the
    # hex HMAC-SHA256 (client secret) of the POST body prefixed by "hmacsha256=".
    return body, {"X-LI-Signature": _mac(secret, b"hmacsha256=" + body).hex()}, {}


def _token(body: bytes, secret: str, _url: str) -> Signed:
    # Unbounce and Mailchimp sign nothing: the secret is in the webhook URL.
    return body, {}, {"token": secret}


SIGNING: dict[str, Signer] = {
    "google-key": _google_key,
    "meta": _meta,
    "typeform": _typeform,
    "hubspot-v3": _hubspot_v3,
    "token": _token,
    "linkedin": _linkedin,
}


@dataclass(frozen=True)
class ExpectedLead:
    lead_key: str
    contact: dict[str, Any] = field(default_factory=dict)
    company: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    same_person: tuple[str, ...] = ()

    @property
    def keys(self) -> set[str]:
        return {self.lead_key, *self.same_person}


@dataclass(frozen=True)
class Case:
    name: str  # <platform>/<case>
    folder: Path
    source: str
    content_type: str
    body: bytes
    signing: str
    headers: dict[str, str]
    graph: dict[str, dict[str, Any]]
    api: dict[str, dict[str, Any]]  # path -> the platform API's answer (LinkedIn, HubSpot)
    status: int
    leads: tuple[ExpectedLead, ...]

    @property
    def accepted(self) -> set[str]:
        """The lead keys of the 202 answer."""
        return {key for lead in self.leads for key in lead.keys}

    @property
    def people(self) -> set[str]:
        """What makes two leads one for the router: lead keys and e-mails."""
        emails = {
            str(lead.contact["email"]).lower() for lead in self.leads if "email" in lead.contact
        }
        return self.accepted | emails

    def sign(self, secret: str, url: str) -> Signed:
        body, headers, query = SIGNING[self.signing](self.body, secret, url)
        return body, {"Content-Type": self.content_type, **self.headers, **headers}, query


def load_case(folder: Path) -> Case:
    spec = json.loads((folder / "case.json").read_text())
    request, expect = spec["request"], spec["expect"]
    return Case(
        name=f"{folder.parent.name}/{folder.name}",
        folder=folder,
        source=request["source"],
        content_type=request["content_type"],
        body=(folder / request["body"]).read_bytes(),
        signing=request["signing"],
        headers=request.get("headers", {}),
        graph={
            leadgen_id: json.loads((folder / path).read_text())
            for leadgen_id, path in request.get("graph", {}).items()
        },
        api={
            path: json.loads((folder / answer).read_text())
            for path, answer in request.get("api", {}).items()
        },
        status=expect["status"],
        leads=tuple(
            ExpectedLead(**{**lead, "same_person": tuple(lead.get("same_person", ()))})
            for lead in expect.get("leads", [])
        ),
    )


def all_cases() -> list[Case]:
    return [load_case(path.parent) for path in sorted(CORPUS.glob("*/*/case.json"))]


def pipeline_groups(cases: list[Case]) -> list[list[Case]]:
    """Cases split so that no two in one group share a lead or a person: the documented
    samples of a platform often reuse the same id or e-mail, and one running system
    rightly treats a second delivery of an id as a redelivery, and the same e-mail as
    the same person."""
    groups: list[tuple[set[str], list[Case]]] = []
    for case in cases:
        keys = case.people
        for taken, members in groups:
            if not keys & taken:
                taken.update(keys)
                members.append(case)
                break
        else:
            groups.append((keys, [case]))
    return [members for _, members in groups]
