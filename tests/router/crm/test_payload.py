"""What the salesperson gets: the campaign's sales kit, why they were chosen, and the
deadline to accept, in the posted ``lead.assigned`` event."""

from datetime import datetime, timedelta
from pathlib import Path

import httpx

from leadrouter_crm_simulator.app import create_app as create_crm
from leadrouter_router.settings import CrmSettings
from tests.router.crm.conftest import RouterDelivering
from tests.router.crm.support import ADMIN, send_leads, settled
from tests.support.servers import serving

KIT = {
    "talk_track": "Open with the audit they asked for; ask who signs.",
    "materials": [{"title": "One-pager", "url": "https://example.com/one-pager.pdf"}],
    "case_studies": [
        {"title": "Acme", "summary": "Closed 30% faster.", "url": "https://example.com/acme"}
    ],
    "benchmarks": [{"claim": "2x reply rate", "source": "2025 survey"}],
}


async def test_the_crm_gets_the_sales_kit_the_decision_and_the_sla_deadline(
    router_delivering: RouterDelivering, kafka: str, topic_prefix: str, tmp_path: Path
) -> None:
    async with serving(create_crm()) as crm_url, httpx.AsyncClient(base_url=crm_url) as crm:
        async with router_delivering(
            CrmSettings(url=f"{crm_url}/assignments"), f"sqlite+aiosqlite:///{tmp_path}/router.db"
        ) as router:
            configured = await router.put(
                "/v1/campaigns/spring-demo",
                json={
                    "name": "Spring demo",
                    "sales_kit": KIT,
                    "sla": {"accept_within_minutes": 30},
                },
                headers=ADMIN,
            )
            assert configured.status_code in (200, 201), configured.text
            await send_leads(kafka, topic_prefix, range(1))
            await settled(router, 1, "delivered")
        [posted] = (await crm.get("/requests")).json()

    data = posted["body"]["data"]
    assert data["sales_kit"] == KIT
    summary = data["decision_summary"]
    assert summary["via"] == "rule"
    assert summary["policy_name"]
    assert summary["pool"] == "demo"
    assigned_at = datetime.fromisoformat(data["assigned_at"])
    deadline = datetime.fromisoformat(data["sla_deadline"])
    assert deadline - assigned_at == timedelta(minutes=30), "the demo team works around the clock"
