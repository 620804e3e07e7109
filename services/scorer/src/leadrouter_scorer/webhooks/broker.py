"""The broker as the webhooks last found it, so that an outage is answered at once.

A publication that fails, or does not finish within the budget while no other
publication was acknowledged since it began, marks Kafka as unreachable for a
while: requests meanwhile get 503 with ``Retry-After`` without waiting, and the
first one after that tries again (within the budget). One that runs over the budget
while others are acknowledged meets a slow broker (or a busy process), not a down
one: that request alone is answered 503. Platforms
give a webhook a few seconds, so the budget is below the tightest of them; a 503
hands the lead back to the platform, which sends it again (docs/webhooks.md).
Time comes in as an argument (a monotonic clock in seconds), so this is pure.
"""

from dataclasses import dataclass


@dataclass(slots=True)
class BrokerState:
    down_for_s: float
    _down_until: float = 0.0
    _acknowledged_at: float | None = None

    def wait_s(self, now: float) -> float | None:
        """Seconds until Kafka is tried again if it is known unreachable, else None."""
        left = self._down_until - now
        return left if left > 0 else None

    def failed(self, now: float) -> None:
        self._down_until = now + self.down_for_s

    def succeeded(self, now: float) -> None:
        self._down_until = 0.0
        self._acknowledged_at = now

    def timed_out(self, started: float, now: float) -> bool:
        """A publication begun at ``started`` ran over its budget: whether that marks
        Kafka down (no publication was acknowledged since it began)."""
        if self._acknowledged_at is not None and self._acknowledged_at >= started:
            return False
        self.failed(now)
        return True
