"""Cursor pagination: the cursor is the sort key of the last item seen (opaque to callers),
so pages stay stable while new rows arrive."""

import base64
import json
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Query

from leadrouter_runtime.problems import Problem

MAX_PAGE_SIZE = 200


class InvalidCursor(Problem):
    status = 400
    title = "Invalid cursor"


def encode_cursor(at: datetime, row_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(json.dumps([at.isoformat(), str(row_id)]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        at, row_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(at), uuid.UUID(row_id)
    except (ValueError, TypeError) as error:
        raise InvalidCursor("The cursor was not given by this API.") from error


PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="At most 200.")]
Cursor = Annotated[str | None, Query(max_length=200, description="`next_cursor` of a page.")]
