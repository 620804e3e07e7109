"""Delivery to the CRM through the outbox: a refusal kept with the CRM's answer, visible
in the API and the metrics, retried through the API once fixed; redirects not followed;
the generic webhook signed so that the receiver can verify us."""

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import SecretStr

from leadrouter_crm_simulator.app import create_app as create_crm
from leadrouter_router.crm.signing import signature, verify
from leadrouter_router.settings import CrmSettings
from tests.router.crm.conftest import RouterDelivering
from tests.router.crm.support import (
    ADMIN,
    READ,
    metric,
    send_leads,
    settled,
)
from tests.support.servers import serving


async def test_a_refused_delivery_keeps_the_answer_and_is_retried_through_the_api(
    router_delivering: RouterDelivering, kafka: str, topic_prefix: str, database_url: str
) -> None:
    async with serving(create_crm()) as crm_url, httpx.AsyncClient(base_url=crm_url) as crm:
        await crm.put("/control/failure", json={"status": 422, "count": 1})
        crm_settings = CrmSettings(url=f"{crm_url}/assignments", timeout_s=5)
        async with router_delivering(crm_settings, database_url) as router:
            await send_leads(kafka, topic_prefix, range(1))

            [failed] = await settled(router, 1, "failed")
            assert failed["attempts"] == 1
            assert failed["last_answer"].startswith(
                "PermanentDeliveryError: CRM answered 422 (generic)"
            )
            assert failed["next_attempt_at"] is None
            assert (
                await metric(router, "router_crm_deliveries_total", crm="generic", result="failed")
                == 1
            )

            url = f"/v1/deliveries/{failed['id']}/retry"
            assert (await router.post(url)).status_code == 401
            assert (await router.post(url, headers=READ)).status_code == 403
            retried = await router.post(url, headers=ADMIN)
            assert retried.status_code == 202, retried.text
            assert retried.json()["status"] == "pending"

            [done] = await settled(router, 1, "delivered")
            assert done["attempts"] == 2
            assert done["delivered_at"] is not None
            again = await router.post(url, headers=ADMIN)
            assert again.status_code == 409
            assert again.headers["content-type"] == "application/problem+json"
            unknown = await router.post(f"/v1/deliveries/{done['lead_id']}/retry", headers=ADMIN)
            assert unknown.status_code == 404
            assert (
                await router.get(f"/v1/leads/{done['assignment_id']}/deliveries", headers=READ)
            ).status_code == 404

            received = (await crm.get("/requests")).json()
            assert [r["answered"] for r in received] == [422, 201]
            assert {r["idempotency_key"] for r in received} == {failed["assignment_id"]}
            assert (
                await metric(
                    router, "router_crm_deliveries_total", crm="generic", result="delivered"
                )
                == 1
            )
            assert await metric(router, "router_outbox_backlog", kind="crm") == 0


def redirecting(hits: list[str]) -> FastAPI:
    app = FastAPI()

    @app.post("/assignments")
    async def moved(request: Request) -> Response:
        hits.append(request.url.path)
        return Response(status_code=307, headers={"Location": "/elsewhere"})

    @app.post("/elsewhere")
    async def elsewhere(request: Request) -> Response:
        hits.append(request.url.path)
        return JSONResponse({"status": 201}, status_code=201)

    return app


async def test_a_redirect_is_not_followed_even_to_the_same_host(
    router_delivering: RouterDelivering, kafka: str, topic_prefix: str, tmp_path: object
) -> None:
    hits: list[str] = []
    async with (
        serving(redirecting(hits)) as crm_url,
        router_delivering(
            CrmSettings(url=f"{crm_url}/assignments", timeout_s=5),
            f"sqlite+aiosqlite:///{tmp_path}/router.db",
        ) as router,
    ):
        await send_leads(kafka, topic_prefix, range(1))
        [failed] = await settled(router, 1, "failed")

    assert "redirected (307) to /elsewhere" in failed["last_answer"]
    assert hits == ["/assignments"]


def test_the_signature_is_verifiable_and_tamper_evident() -> None:
    body = b'{"type":"lead.assigned"}'
    header = signature("s3cret", 1_700_000_000, body)
    assert header.startswith("v1=")
    assert len(header) == 3 + 64
    assert verify("s3cret", timestamp="1700000000", header=header, body=body, now=1_700_000_100)
    assert not verify("other", timestamp="1700000000", header=header, body=body, now=1_700_000_100)
    assert not verify(
        "s3cret", timestamp="1700000000", header=header, body=body + b" ", now=1_700_000_100
    )
    assert not verify("s3cret", timestamp="1700000001", header=header, body=body, now=1_700_000_100)
    assert not verify(
        "s3cret", timestamp="1700000000", header=header, body=body, now=1_700_000_000 + 301
    ), "a replay older than the tolerance is refused"


async def test_the_simulator_verifies_the_signed_webhook(
    router_delivering: RouterDelivering, kafka: str, topic_prefix: str, tmp_path: object
) -> None:
    secret = "shared-secret-0123456789"
    async with (
        serving(create_crm(signing_secret=secret)) as crm_url,
        httpx.AsyncClient(base_url=crm_url) as crm,
    ):
        for n, sent_secret in enumerate((secret, "not-the-secret")):
            async with router_delivering(
                CrmSettings(url=f"{crm_url}/assignments", signing_secret=SecretStr(sent_secret)),
                f"sqlite+aiosqlite:///{tmp_path}/router{n}.db",
            ) as router:
                await send_leads(kafka, topic_prefix, range(n, n + 1))
                [delivery] = await settled(router, 1, "delivered" if n == 0 else "failed")
        assert "CRM answered 401 (generic)" in delivery["last_answer"]
        received = (await crm.get("/requests")).json()

    assert [r["answered"] for r in received] == [201, 401]
