"""The time, as the services read it: a part that needs it is given a ``Clock`` (the
wall clock in UTC when running; a fixed or stepped one in tests and benchmarks)."""

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)
