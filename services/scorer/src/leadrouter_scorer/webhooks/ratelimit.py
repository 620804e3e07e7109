"""A token bucket per source, in this process's memory.

Each replica limits on its own (the cluster-wide rate is the per-process rate times
the replicas); good enough to keep one noisy platform from starving the others.
Time comes in as an argument (a monotonic clock in seconds) so the bucket is pure.
"""

import math
from dataclasses import dataclass


@dataclass(slots=True)
class TokenBucket:
    rate_per_s: float
    burst: int
    tokens: float = -1.0
    updated_at: float = 0.0

    def take(self, now: float) -> float:
        """Take one token: 0.0 if allowed, else the seconds until one is available."""
        if self.tokens < 0:
            self.tokens, self.updated_at = float(self.burst), now
        elapsed = max(0.0, now - self.updated_at)
        self.tokens = min(float(self.burst), self.tokens + elapsed * self.rate_per_s)
        self.updated_at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate_per_s


def retry_after_header(wait_s: float) -> str:
    """``Retry-After`` in whole seconds, at least 1 (RFC 9110 section 10.2.3)."""
    return str(max(1, math.ceil(wait_s)))
