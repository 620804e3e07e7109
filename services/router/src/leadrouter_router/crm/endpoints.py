"""The CRM deliveries of a lead, and retrying one that failed once the cause is fixed."""

import uuid
from datetime import UTC, datetime

from fastapi import status

from leadrouter_router.crm import CRM_KIND
from leadrouter_router.crm.schemas import DeliveryList, DeliveryOut
from leadrouter_router.leads import repository
from leadrouter_router.platform import outbox
from leadrouter_router.platform.auth import CONFLICT, NOT_FOUND
from leadrouter_router.platform.lookup import found
from leadrouter_router.platform.routes import ScopedRouter
from leadrouter_router.state import Session
from leadrouter_runtime.problems import NotFound, Problem

router = ScopedRouter(tags=["deliveries"])


class NotRetryable(Problem):
    status = 409
    title = "Only a failed delivery can be retried"


def _out(row: outbox.OutboxRow) -> DeliveryOut:
    pending = row.status == "pending"
    return DeliveryOut(
        id=row.id,
        lead_id=uuid.UUID(row.key or str(uuid.UUID(int=0))),
        assignment_id=uuid.UUID(row.idempotency_key),
        status=row.status,
        attempts=row.attempts,
        last_answer=row.last_error,
        created_at=_utc(row.created_at),
        next_attempt_at=_utc(row.next_attempt_at) if pending else None,
        delivered_at=_utc(row.delivered_at) if row.delivered_at else None,
    )


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@router.read(
    "/v1/leads/{lead_id}/deliveries",
    "The lead's deliveries to the CRM: status, attempts, the CRM's last answer",
    NOT_FOUND,
)
async def lead_deliveries(lead_id: uuid.UUID, session: Session) -> DeliveryList:
    found(await repository.get_lead(session, lead_id), f"No lead {lead_id}.")
    rows = await outbox.messages_with_key(session, kind=CRM_KIND, key=str(lead_id))
    return DeliveryList(items=[_out(row) for row in rows])


@router.operation(
    "POST",
    "/v1/deliveries/{delivery_id}/retry",
    "Deliver a failed delivery again (same idempotency key), e.g. once fixed",
    NOT_FOUND,
    CONFLICT,
    scope="admin",
    status_code=status.HTTP_202_ACCEPTED,
)
async def retry_delivery(delivery_id: uuid.UUID, session: Session) -> DeliveryOut:
    row = await session.get(outbox.OutboxRow, delivery_id)
    if row is None or row.kind != CRM_KIND:
        raise NotFound(f"No CRM delivery {delivery_id}.")
    if not outbox.schedule_retry(row, now=datetime.now(UTC)):
        raise NotRetryable(f"The delivery is {row.status}.")
    await session.flush()
    return _out(row)
