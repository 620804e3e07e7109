"""``python -m leadrouter_router [serve|migrate]``."""

import asyncio
import sys

from leadrouter_router.app import create_app
from leadrouter_router.platform.db import create_engine, migrate
from leadrouter_router.settings import Settings
from leadrouter_runtime.http import serve
from leadrouter_runtime.logging import configure_logging


async def _migrate(settings: Settings) -> None:
    engine = create_engine(settings.db.url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


def main(argv: list[str]) -> int:
    settings = Settings()
    configure_logging(settings.log)
    command = argv[1] if len(argv) > 1 else "serve"
    if command == "serve":
        serve(create_app(settings), settings.http)
    elif command == "migrate":
        asyncio.run(_migrate(settings))
    else:
        print(
            f"usage: python -m leadrouter_router [serve|migrate] (got {command!r})", file=sys.stderr
        )
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
