"""Retries with stamina (https://stamina.hynek.me/): the one way our code tries again.

Our loops pause for a fixed time between attempts (no growth, no jitter): they wait
for a broker, a server or a connection to come back, and the pause is what their
callers configure. Use as stamina's own::

    async for attempt in paced(httpx.TransportError, attempts=5, pause_s=0.5):
        with attempt:
            answer = await http.get(url)
"""

from typing import Any

import stamina
from stamina.instrumentation import StructlogOnRetryHook, set_on_retry_hooks


def paced(
    on: type[Exception] | tuple[type[Exception], ...],
    *,
    attempts: int | None,
    pause_s: float,
    timeout_s: float | None = None,
) -> Any:  # stamina's retry-context iterator (a private class)
    """Attempts of a block retried on ``on``, ``pause_s`` apart: at most ``attempts``
    (None: no limit) within ``timeout_s`` (None: no limit); the last error is raised."""
    return stamina.retry_context(
        on=on,
        attempts=attempts,
        timeout=timeout_s,
        wait_initial=pause_s,
        wait_max=pause_s,
        wait_jitter=0,
    )


def instrument_retries() -> None:
    """stamina logs each scheduled retry as a structlog line; its Prometheus counter,
    in the default registry no service exports and labelled by the retry's number (no
    bound for a loop that never gives up), is left out."""
    set_on_retry_hooks([StructlogOnRetryHook])
