"""``python -m leadrouter_router [serve|migrate]``."""

import asyncio
import sys
from typing import TYPE_CHECKING

from leadrouter_runtime.startup import collector_paused

if TYPE_CHECKING:
    from leadrouter_router.settings import Settings


async def _migrate(settings: "Settings") -> None:
    from leadrouter_router.platform.db import create_engine, migrate

    engine = create_engine(settings.db.url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


def main(argv: list[str]) -> int:
    with collector_paused():
        # Imported here, the collector paused: they make most of a start's objects.
        from leadrouter_router.app import create_app
        from leadrouter_router.settings import Settings
        from leadrouter_runtime.http import serve
        from leadrouter_runtime.logging import configure_logging

        settings = Settings()
        configure_logging(settings.log)
        command = argv[1] if len(argv) > 1 else "serve"
        app = create_app(settings) if command == "serve" else None
    if app is not None:
        serve(app, settings.http)
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
