"""The engine's pool without a ping at every checkout: a connection that died while
idle in the pool is found and replaced before use (docs/decisions/0305)."""

from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from leadrouter_router.platform import db


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_a_connection_killed_while_idle_is_replaced_before_use(
    postgres_url: str, postgres_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = db.create_engine(postgres_url)
    try:
        first = await _backend_pid(engine)
        admin = await asyncpg.connect(postgres_server)
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", first)
        finally:
            await admin.close()
        monkeypatch.setattr(db, "IDLE_PING_S", 0.0)  # every pooled connection counts as idle

        second = await _backend_pid(engine)

        assert second != first
    finally:
        await engine.dispose()


async def test_a_connection_in_steady_use_is_not_pinged(postgres_url: str) -> None:
    engine = db.create_engine(postgres_url)
    pings = 0
    ping = engine.sync_engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        nonlocal pings
        pings += 1
        return bool(ping(dbapi_connection))

    engine.sync_engine.dialect.do_ping = counted  # type: ignore[method-assign]
    try:
        for _ in range(3):
            await _backend_pid(engine)
    finally:
        await engine.dispose()

    assert pings == 0
