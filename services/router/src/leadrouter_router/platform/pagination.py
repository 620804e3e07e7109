"""Cursor pagination: the cursor is the sort key of the last item seen (opaque to callers),
so pages stay stable while new rows arrive.

An endpoint that lists a page asks for ``page: Page`` (the ``limit`` and ``cursor``
query parameters), reads ``page.limit`` rows after ``page.after``, and answers
``page.next_cursor(rows, key)``."""

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import Depends, Query

from leadrouter_runtime.problems import Problem

MAX_PAGE_SIZE = 200

T = TypeVar("T")
SortKey = tuple[datetime, uuid.UUID]


class InvalidCursor(Problem):
    status = 400
    title = "Invalid cursor"


def encode_cursor(at: datetime, row_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(json.dumps([at.isoformat(), str(row_id)]).encode()).decode()


def decode_cursor(cursor: str) -> SortKey:
    try:
        at, row_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(at), uuid.UUID(row_id)
    except (ValueError, TypeError) as error:
        raise InvalidCursor("The cursor was not given by this API.") from error


PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="At most 200.")]
Cursor = Annotated[str | None, Query(max_length=200, description="`next_cursor` of a page.")]
NameFilter = Annotated[str | None, Query(max_length=200)]
"""A filter on a name or a text id (a campaign, a pool): only the rows that have it."""


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int
    cursor: str | None

    @property
    def after(self) -> SortKey | None:
        """The sort key of the last row of the page before (the cursor is decoded in the
        endpoint, so that a bad one is a 400 only once the other parameters are valid)."""
        return decode_cursor(self.cursor) if self.cursor else None

    def next_cursor(self, rows: Sequence[T], key: Callable[[T], SortKey]) -> str | None:
        """The cursor of the page after ``rows``; None when they did not fill this one."""
        return encode_cursor(*key(rows[-1])) if len(rows) == self.limit else None


def page_request(limit: PageSize = 50, cursor: Cursor = None) -> PageRequest:
    return PageRequest(limit, cursor)


Page = Annotated[PageRequest, Depends(page_request)]
