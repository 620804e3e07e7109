"""Runs an ASGI app under uvicorn with our settings (signals stop it cleanly)."""

import uvicorn
from fastapi import FastAPI

from leadrouter_runtime.settings import HttpSettings


def serve(app: FastAPI, settings: HttpSettings) -> None:
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        loop=settings.loop,
        http=settings.http,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=10,
    )
