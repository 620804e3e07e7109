"""Structured logs: dotted event names with fields, JSON in production, and the
lead's correlation id on every line logged while a request is handled."""

import logging
import re
import sys
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadrouter_runtime.retries import instrument_retries
from leadrouter_runtime.settings import LogSettings


def configure_logging(settings: LogSettings) -> None:
    """Our structlog lines and the standard library's (aiokafka, uvicorn, SQLAlchemy,
    Alembic) rendered alike on stderr: one JSON object per line when ``json`` is set,
    each with the correlation id bound at the time."""
    level = logging.getLevelNamesMapping().get(settings.level.upper(), logging.INFO)
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if settings.json_output
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
    # https://www.structlog.org/en/stable/standard-library.html#rendering-using-structlog-based-formatters-within-logging
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    # httpx and httpcore log every request's URL at INFO (and headers at DEBUG):
    # whatever a URL or header carries must not reach the log, whatever our level.
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    instrument_retries()


QUIET_LOGGERS = ("httpx", "httpcore")


CORRELATION_HEADER = b"x-correlation-id"
_USABLE = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")


class CorrelationIdMiddleware:
    """Gives every HTTP request a correlation id (the caller's ``X-Correlation-ID``
    when usable, else a new one), binds it to the log context for the request,
    puts it in the request headers the endpoints read, and echoes it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope["headers"] if k != CORRELATION_HEADER]
        given = dict(scope["headers"]).get(CORRELATION_HEADER, b"")
        correlation_id = given if _USABLE.match(given) else str(uuid.uuid4()).encode()
        scope = {**scope, "headers": [*headers, (CORRELATION_HEADER, correlation_id)]}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (CORRELATION_HEADER, correlation_id)],
                }
            await send(message)

        with structlog.contextvars.bound_contextvars(correlation_id=correlation_id.decode()):
            await self.app(scope, receive, send_with_id)
