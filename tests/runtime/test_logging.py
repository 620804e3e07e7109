"""The services' logging set-up: third-party loggers that print URLs stay quiet."""

import logging
from collections.abc import Iterator

import httpx
import pytest
import structlog
from fastapi import FastAPI

from leadrouter_runtime.logging import configure_logging
from leadrouter_runtime.settings import LogSettings
from tests.support.servers import serving


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """The logging set-up as it was: configure_logging binds structlog and the root
    handler to this test's captured stderr, which is closed once the test ends."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    structlog_config = structlog.get_config()
    yield
    structlog.configure(**structlog_config)
    root.handlers, root.level = handlers, level
    for name, previous in quiet.items():
        logging.getLogger(name).setLevel(previous)


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
@pytest.mark.usefixtures("restored_logging")
async def test_no_url_of_an_http_client_request_reaches_the_log(
    level: str, capfd: pytest.CaptureFixture[str]
) -> None:
    app = FastAPI()

    @app.get("/lead")
    async def lead() -> dict[str, str]:
        return {"id": "1"}

    configure_logging(LogSettings(level=level))
    async with serving(app) as base_url, httpx.AsyncClient() as client:
        response = await client.get(f"{base_url}/lead", params={"access_token": "tok-3141592"})
        assert response.status_code == 200
        logging.getLogger("leadrouter.test").info("after the request")

    # The test's own server logs its access lines (the services run without them).
    lines = [line for line in capfd.readouterr().err.splitlines() if "uvicorn.access" not in line]
    assert any("after the request" in line for line in lines)  # the handler writes here
    assert not [line for line in lines if "tok-3141592" in line]
