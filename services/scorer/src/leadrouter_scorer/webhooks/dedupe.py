"""Recently accepted deliveries, per process: a redelivery is answered from here
without producing a second record.

Bounded in size (least recently used out first) and age: a ``cachetools.TTLCache``
whose clock is the ``now`` of each call (a monotonic clock in seconds), so this stays
pure. It is only the first line: a duplicate that another replica (or this one after a
restart) accepts carries the same event id anyway (``event_id = uuid5(source,
delivery id)``) and consumers dedupe on it.
"""

from typing import Generic, TypeVar

from cachetools import TTLCache

V = TypeVar("V")


class RecentDeliveries(Generic[V]):
    def __init__(self, *, ttl_s: float, max_entries: int) -> None:
        self._now = 0.0
        self._entries: TTLCache[tuple[str, str], V] = TTLCache(
            maxsize=max_entries, ttl=ttl_s, timer=lambda: self._now
        )

    def get(self, source: str, delivery_id: str, *, now: float) -> V | None:
        self._now = now
        return self._entries.get((source, delivery_id))

    def put(self, source: str, delivery_id: str, value: V, *, now: float) -> None:
        self._now = now
        self._entries[(source, delivery_id)] = value

    def __len__(self) -> int:
        return len(self._entries)
