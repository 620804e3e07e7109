"""``POST /v1/webhooks/{source}``: one route, made for each platform adapter of the
registry, answering 202 only once Kafka holds the lead; the adapter's GET handshake
where it has one. The route stays thin: the adapter verifies and maps (``platforms``),
the gateway does what all share (limits, body, redeliveries, publication)."""

import inspect
import re
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, Header, Request, status
from fastapi.responses import JSONResponse, Response

from leadrouter_scorer.state import scorer_state
from leadrouter_scorer.webhooks import registry
from leadrouter_scorer.webhooks.adapters import CampaignParam, Inbound, PlatformAdapter
from leadrouter_scorer.webhooks.gateway import IntakeTopics
from leadrouter_scorer.webhooks.openapi import RESPONSES, request_body
from leadrouter_scorer.webhooks.problems import UnknownSource
from leadrouter_scorer.webhooks.quarantine import Delivery
from leadrouter_scorer.webhooks.routing import ReceiverRoute, WebhookRoute, webhook_gateway
from leadrouter_scorer.webhooks.schemas import Accepted, Ignored, Quarantined

_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

CorrelationHeader = Annotated[str | None, Header(description="Carried to every event.")]


def correlation_id_of(header: str | None) -> str:
    """The caller's id when it is usable, else a new one."""
    return header if header and _CORRELATION_ID.match(header) else str(uuid4())


def _keyword(name: str, annotation: Any) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation
    )


def receiver(adapter: PlatformAdapter) -> Callable[..., Coroutine[Any, Any, Response]]:
    """The platform's POST: admitted, read, verified by the adapter, then mapped and
    published (202 with the leads, 202 ``quarantined`` when an authentic delivery
    cannot be mapped, 200 when it is no lead). No dependency: nothing runs in a thread;
    its route (``ReceiverRoute``) reads the parameters and sends the answer as it is."""
    source = adapter.source

    async def receive(
        request: Request,
        *,
        campaign_id: str | None = None,
        x_correlation_id: str | None = None,
        **credentials: str | None,
    ) -> Response:
        gateway = webhook_gateway(request)
        gateway.admit(source)
        body = await gateway.read_body(request, media_types=adapter.media_types)
        received_at = datetime.now(UTC)
        url = request.url
        verified = adapter.verify(
            Inbound(
                method=request.method,
                url=str(url),
                path=url.path,
                query=url.query,
                body=body,
                campaign_id=campaign_id,
                credentials=credentials,
                now=received_at,
            ),
            gateway.settings,
        )
        state = scorer_state(request)
        delivery = Delivery(
            source=source,
            body=verified.body,
            content_type=request.headers.get("content-type", ""),
            campaign_id=campaign_id,
            correlation_id=correlation_id_of(x_correlation_id),
            received_at=received_at,
            authenticated=verified.authenticated,
        )
        outcome = await gateway.receive(
            delivery, producer=state.producer, topics=IntakeTopics.of(state.settings.kafka)
        )
        if isinstance(outcome, Ignored):
            return JSONResponse(outcome.model_dump())
        if isinstance(outcome, Quarantined):
            return JSONResponse(outcome.model_dump(mode="json"), status.HTTP_202_ACCEPTED)
        # The bytes FastAPI writes for the response model (pydantic's JSON of it).
        return Response(
            outcome.model_dump_json(), status.HTTP_202_ACCEPTED, media_type="application/json"
        )

    # What FastAPI reads and documents: the campaign, the adapter's credentials, the
    # correlation id (its values reach ``receive`` as keywords).
    receive.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                "request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request
            ),
            _keyword("campaign_id", CampaignParam),
            *adapter.credentials,
            _keyword("x_correlation_id", CorrelationHeader),
        ]
    )
    return receive


def webhooks_router() -> APIRouter:
    router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"], route_class=WebhookRoute)
    for source, adapter in registry.adapters().items():
        if (handshake := adapter.handshake) is not None:
            # Without a response model, FastAPI infers it from the return annotation.
            model = (
                {}
                if handshake.response_model is None
                else {"response_model": handshake.response_model}
            )
            router.add_api_route(
                f"/{source}",
                handshake.endpoint,
                methods=["GET"],
                summary=handshake.summary,
                response_class=handshake.response_class,
                responses=handshake.responses,
                **model,
            )
        router.add_api_route(
            f"/{source}",
            receiver(adapter),
            methods=["POST"],
            name=f"receive_{source.replace('-', '_')}",
            route_class_override=ReceiverRoute,
            # 202: on leads.received, or (authentic but not mappable) kept in the quarantine.
            status_code=status.HTTP_202_ACCEPTED,
            response_model=Accepted | Quarantined,
            summary=adapter.summary,
            description=adapter.description,
            responses=adapter.responses,
            openapi_extra=request_body(adapter.media_types, adapter.body_model),
        )
    router.add_api_route(
        "/{source}",
        receive_unknown,
        methods=["POST"],
        summary="Any other source: not known here",
        responses={404: RESPONSES[404]},
    )
    return router


async def receive_unknown(source: str) -> None:
    raise UnknownSource(f"No webhook source named {source!r}.")
