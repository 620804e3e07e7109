"""CRUD for accounts already owned (lead-to-account matching keeps their leads in circuit)."""

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Response

from leadrouter_router.accounts import repository
from leadrouter_router.accounts.models import AccountRow
from leadrouter_router.accounts.schemas import AccountIn, AccountList, AccountOut
from leadrouter_router.errors import UnknownReference
from leadrouter_router.platform import rows
from leadrouter_router.platform.auth import NOT_FOUND
from leadrouter_router.platform.lookup import get_or_404
from leadrouter_router.platform.routes import ResourceRoute, ScopedRouter, no_content
from leadrouter_router.salespeople import repository as salespeople
from leadrouter_router.state import Session

router = ScopedRouter(prefix="/v1/accounts", tags=["accounts"], route_class=ResourceRoute)
Account = Annotated[
    AccountRow, Depends(get_or_404(repository.get, "account_id", uuid.UUID, "No account {}."))
]


async def _values(session: Session, body: AccountIn) -> dict[str, object]:
    if body.owner_id is not None and await salespeople.get(session, body.owner_id) is None:
        raise UnknownReference(f"No salesperson {body.owner_id}.")
    values = body.model_dump()
    values["domains"] = sorted({d.strip().lower().removeprefix("www.") for d in body.domains})
    return values


@router.read("", "All accounts")
async def list_accounts(session: Session) -> AccountList:
    accounts = await repository.all_accounts(session)
    return AccountList(items=[AccountOut.model_validate(row) for row in accounts])


@router.add("", "Add an account")
async def create_account(body: AccountIn, session: Session) -> AccountOut:
    row = AccountRow(id=uuid.uuid4(), created_at=datetime.now(UTC), **await _values(session, body))
    return AccountOut.model_validate(await rows.add(session, row))


@router.read("/{account_id}", "One account", NOT_FOUND)
async def get_account(account: Account) -> AccountOut:
    return AccountOut.model_validate(account)


@router.replace("/{account_id}", "Replace an account", NOT_FOUND)
async def replace_account(row: Account, body: AccountIn, session: Session) -> AccountOut:
    return AccountOut.model_validate(await rows.update(session, row, await _values(session, body)))


@router.remove("/{account_id}", "Remove an account", NOT_FOUND)
async def delete_account(account: Account, session: Session) -> Response:
    await session.delete(account)
    return no_content()
