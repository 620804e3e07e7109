"""The scorer with every webhook source configured, and a local Graph API for Meta leads."""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr

from leadrouter_scorer.settings import Settings
from leadrouter_scorer.webhooks.config import (
    FacebookSettings,
    GenericSettings,
    HubSpotSettings,
    LinkedInSettings,
    SourceSettings,
    WebhookSettings,
)
from tests.scorer.webhooks.samples import fixture_json
from tests.support.corpus import CORPUS
from tests.support.kafka import service_kafka
from tests.support.servers import serving

SECRET = "current-secret"
PREVIOUS = "previous-secret"
ACCESS_TOKEN = "page-access-token"
VERIFY_TOKEN = "verify-me"
MAX_BODY = 16 * 1024
HUBSPOT_API = CORPUS / "hubspot" / "webhooks-api-batch" / "api"
HUBSPOT_CONTACTS = {
    path.stem.removeprefix("contact-"): json.loads(path.read_text())
    for path in HUBSPOT_API.glob("contact-*.json")
}


@dataclass
class FakeGraph:
    """Plays the Graph API: ``GET /{version}/{leadgen_id}`` with the page access token as
    ``Authorization: Bearer`` (RFC 6750 section 2.1; never in the URL) answers the
    documented lead (https://developers.facebook.com/docs/marketing-api/guides/lead-ads/retrieving/)."""

    base_url: str = ""
    down: bool = False
    requests: list[str] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/v21.0/{leadgen_id}")
        async def lead(leadgen_id: str, request: Request) -> JSONResponse:
            self.requests.append(leadgen_id)
            if self.down:
                return JSONResponse({"error": {"message": "Service unavailable"}}, 503)
            if "access_token" in request.query_params:
                error = {"message": "The token must not travel in the URL.", "code": 100}
                return JSONResponse({"error": error}, 400)
            if request.headers.get("authorization") != f"Bearer {ACCESS_TOKEN}":
                error = {"message": "Invalid OAuth access token.", "type": "OAuthException"}
                return JSONResponse({"error": {**error, "code": 190}}, 400)
            body: dict[str, Any] = {**fixture_json("facebook_graph_lead.json"), "id": leadgen_id}
            return JSONResponse(body)

        @app.get("/crm/v3/objects/contacts/{object_id}")
        async def contact(object_id: str, request: Request) -> JSONResponse:
            # HubSpot's CRM API, for the Webhooks API subscription batches.
            self.requests.append(f"contact:{object_id}")
            if request.headers.get("authorization") != f"Bearer {ACCESS_TOKEN}":
                return JSONResponse({"status": "error", "category": "INVALID_AUTHENTICATION"}, 401)
            if "email" not in request.query_params.get("properties", "").split(","):
                return JSONResponse({"status": "error", "category": "VALIDATION_ERROR"}, 400)
            found = HUBSPOT_CONTACTS.get(object_id)
            if found is None:
                return JSONResponse({"status": "error", "category": "OBJECT_NOT_FOUND"}, 404)
            return JSONResponse(found)

        return app


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    fake = FakeGraph()
    async with serving(fake.app()) as base_url:
        fake.base_url = base_url
        yield fake


def _source(campaign: str, **changes: Any) -> dict[str, Any]:
    return {
        "secrets": [SecretStr(SECRET), SecretStr(PREVIOUS)],
        "default_campaign_id": campaign,
        **changes,
    }


def webhook_settings(graph_base_url: str, **changes: Any) -> WebhookSettings:
    settings = WebhookSettings(
        max_body_bytes=MAX_BODY,
        generic=GenericSettings(),
        hubspot=HubSpotSettings(
            **_source("hubspot-campaign"),
            access_token=SecretStr(ACCESS_TOKEN),
            api_base_url=graph_base_url,
            api_timeout_s=2.0,
        ),
        typeform=SourceSettings(
            **_source("typeform-campaign", campaigns={"lT4Z3j": "spring-typeform"})
        ),
        google_ads=SourceSettings(**_source("google-campaign")),
        facebook=FacebookSettings(
            **_source("facebook-campaign"),
            verify_token=SecretStr(VERIFY_TOKEN),
            access_token=SecretStr(ACCESS_TOKEN),
            graph_base_url=graph_base_url,
            graph_timeout_s=2.0,
        ),
        unbounce=SourceSettings(**_source("unbounce-campaign")),
        mailchimp=SourceSettings(**_source("mailchimp-campaign")),
        linkedin=LinkedInSettings(
            **_source("linkedin-campaign"),
            access_token=SecretStr(ACCESS_TOKEN),
            api_base_url=graph_base_url,
            api_timeout_s=2.0,
        ),
    )
    return settings.model_copy(update=changes)


@pytest.fixture
def scorer_settings(kafka: str, topic_prefix: str, graph: FakeGraph) -> Settings:
    return Settings(
        kafka=service_kafka(kafka, topic_prefix, "scorer"),
        webhooks=webhook_settings(graph.base_url),
    )
