"""Limits that hold for a value at every layer it reaches, declared once.

- JSON is parsed only when nested at most ``MAX_JSON_DEPTH`` levels deep: Python's
  parser (and every encoder after it) recurses, so a 100 KB body of ``[`` would
  otherwise end as a ``RecursionError``, a 500 with a traceback.
- A timestamp is aware, within ``EARLIEST``..``LATEST`` and converted to UTC
  (``UtcDatetime``): a far-off offset or year would overflow when a database
  driver, or our own arithmetic (``until - 30 days``), converts it.
- No text holds NUL: PostgreSQL's text and JSONB cannot store it (the driver
  raises and drops the connection), so it is refused at the edge on every backend.
"""

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime

MAX_JSON_DEPTH = 64
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(minutes=5)
"""How far ahead of our clock another system's time of a past fact may be."""

_STRUCTURE = re.compile(rb'[\[\]{}"\\]')


class JsonTooDeepError(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"nested deeper than {limit} levels")
        self.limit = limit


def json_depth_within(data: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``data`` (JSON text) nests arrays and objects at most ``limit`` deep,
    by a scan that never recurses; brackets inside strings do not count."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return True  # the common case: too few brackets to be too deep
    depth = 0
    in_string = False
    skip_to = -1
    for match in _STRUCTURE.finditer(data):
        at = match.start()
        if at < skip_to:
            continue  # the character after a backslash
        char = data[at]
        if in_string:
            if char == 0x5C:  # backslash: escapes the next character
                skip_to = at + 2
            elif char == 0x22:
                in_string = False
        elif char == 0x22:
            in_string = True
        elif char in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return False
        elif char in (0x5D, 0x7D):
            depth -= 1
    return True


def loads(data: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads``, refusing (``JsonTooDeepError``, a ``ValueError``) before parsing
    what is nested deeper than ``max_depth``."""
    raw = data.encode() if isinstance(data, str) else data
    if not json_depth_within(raw, max_depth):
        raise JsonTooDeepError(max_depth)
    return json.loads(raw)


def without_nul(value: Any) -> Any:
    """``value`` (parsed JSON, depth-bounded) with NUL removed from every string and key:
    what a platform sends is kept, minus the one character no database stores."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {without_nul(key): without_nul(child) for key, child in value.items()}
    if isinstance(value, list):
        return [without_nul(child) for child in value]
    return value


def nul_paths(value: Any, path: str = "") -> list[str]:
    """Dotted paths of every string (key or value) in ``value`` that holds NUL."""
    found: list[str] = []
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                found.append(where or "body")
        elif isinstance(item, dict):
            for key, child in item.items():
                child_path = f"{where}.{key}" if where else str(key)
                if "\x00" in str(key):
                    found.append(child_path.replace("\x00", "\\u0000"))
                stack.append((child, child_path))
        elif isinstance(item, list):
            stack.extend((c, f"{where}.{i}" if where else str(i)) for i, c in enumerate(item))
    return sorted(found)


def _within_range(moment: datetime) -> datetime:
    try:
        in_utc = moment.astimezone(UTC)
    except OverflowError as error:
        raise ValueError("out of range") from error
    if not EARLIEST <= in_utc < LATEST:
        raise ValueError(f"must be from {EARLIEST.year} to before {LATEST.year}")
    return in_utc


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_within_range)]
"""An aware timestamp the database and our date arithmetic can hold, in UTC."""


def plausible_past(moment: datetime | None, *, now: datetime) -> datetime | None:
    """``moment`` in UTC when it can be the time of something that has happened (from
    ``EARLIEST`` to ``now`` plus ``CLOCK_SKEW``), else None."""
    if moment is None:
        return None
    try:
        in_utc = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    return in_utc if EARLIEST <= in_utc <= now + CLOCK_SKEW else None
