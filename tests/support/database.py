"""Router databases already migrated to head: a copy of one SQLite file migrated once
per process, instead of the migrations run again for every test (see CONTRIBUTING.md;
PostgreSQL's counterpart is the ``postgres_template`` fixture in tests/conftest.py)."""

import atexit
import shutil
import sqlite3
import tempfile
from pathlib import Path

from leadrouter_router.platform.db import create_engine, migrate

_template: Path | None = None


async def migrated(url: str) -> None:
    """Run the migrations on the database at ``url``."""
    engine = create_engine(url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


async def sqlite_template() -> Path:
    """The process's migrated SQLite file, made on first use, removed at exit."""
    global _template
    if _template is None:
        directory = Path(tempfile.mkdtemp(prefix="leadrouter-template-"))
        atexit.register(shutil.rmtree, directory, True)
        path = directory / "router.db"
        await migrated(f"sqlite+aiosqlite:///{path}")
        _template = path
    return _template


def copy_sqlite(template: Path, target: Path) -> Path:
    """The template's content in ``target``, through SQLite's backup (WAL included)."""
    source, copy = sqlite3.connect(template), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()
    return target


async def migrated_sqlite(target: Path) -> str:
    """The URL of a SQLite file at ``target`` migrated to head (a copy of the template)."""
    return f"sqlite+aiosqlite:///{copy_sqlite(await sqlite_template(), target)}"
