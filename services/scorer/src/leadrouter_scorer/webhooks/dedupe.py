"""Recently accepted deliveries, per process: a redelivery is answered from here
without producing a second record.

Bounded in size and age. It is only the first line: a duplicate that another
replica (or this one after a restart) accepts carries the same event id anyway
(``event_id = uuid5(source, delivery id)``) and consumers dedupe on it.
"""

from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class _Entry(Generic[V]):
    value: V
    expires_at: float


class RecentDeliveries(Generic[V]):
    def __init__(self, *, ttl_s: float, max_entries: int) -> None:
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], _Entry[V]] = OrderedDict()

    def get(self, source: str, delivery_id: str, *, now: float) -> V | None:
        entry = self._entries.get((source, delivery_id))
        if entry is None:
            return None
        if entry.expires_at <= now:
            del self._entries[(source, delivery_id)]
            return None
        return entry.value

    def put(self, source: str, delivery_id: str, value: V, *, now: float) -> None:
        key = (source, delivery_id)
        self._entries.pop(key, None)
        self._entries[key] = _Entry(value, now + self._ttl_s)
        # Oldest first: drop expired ones and, past the bound, the oldest.
        while self._entries:
            oldest_key, oldest = next(iter(self._entries.items()))
            if oldest.expires_at > now and len(self._entries) <= self._max_entries:
                break
            del self._entries[oldest_key]

    def __len__(self) -> int:
        return len(self._entries)
