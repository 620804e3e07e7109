"""The per-process guards: the token bucket and the memory of recent deliveries."""

from leadrouter_scorer.webhooks.dedupe import RecentDeliveries
from leadrouter_scorer.webhooks.ratelimit import TokenBucket, retry_after_header


def test_bucket_allows_the_burst_then_refills_at_the_rate() -> None:
    bucket = TokenBucket(rate_per_s=2.0, burst=3)
    assert [bucket.take(10.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(10.0) == 0.5
    assert bucket.take(10.5) == 0.0
    assert bucket.take(10.5) > 0


def test_bucket_never_holds_more_than_the_burst() -> None:
    bucket = TokenBucket(rate_per_s=100.0, burst=2)
    bucket.take(0.0)
    waits = [bucket.take(1000.0) for _ in range(3)]
    assert waits[:2] == [0.0, 0.0]
    assert waits[2] > 0


def test_retry_after_is_whole_seconds_rounded_up_at_least_one() -> None:
    assert [retry_after_header(w) for w in (0.01, 1.0, 1.2)] == ["1", "1", "2"]


def test_recent_deliveries_remember_until_their_ttl() -> None:
    recent: RecentDeliveries[str] = RecentDeliveries(ttl_s=10, max_entries=10)
    recent.put("typeform", "evt-1", "accepted-1", now=0.0)
    assert recent.get("typeform", "evt-1", now=9.9) == "accepted-1"
    assert recent.get("hubspot", "evt-1", now=9.9) is None
    assert recent.get("typeform", "evt-1", now=10.0) is None


def test_recent_deliveries_are_bounded_dropping_the_oldest() -> None:
    recent: RecentDeliveries[int] = RecentDeliveries(ttl_s=100, max_entries=2)
    for n in range(3):
        recent.put("generic", f"d{n}", n, now=float(n))
    assert len(recent) == 2
    assert recent.get("generic", "d0", now=3.0) is None
    assert recent.get("generic", "d2", now=3.0) == 2
