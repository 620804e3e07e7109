"""Steady load: signed generic webhooks at a fixed rate, spread over the scorers.

A platform resends a webhook it got no 2xx for; so does this one, to the next
scorer (as a load balancer would), with the same body and correlation id, until
a 202 or its deadline. Only leads answered 202 are promised, and checked.
"""

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from leadrouter_chaos.checker import Acked
from leadrouter_chaos.profiles import Profile
from leadrouter_chaos.system import CAMPAIGN, SLA_CAMPAIGN

log = logging.getLogger("chaos.load")

MAX_IN_FLIGHT = 200
RESEND_FOR_S = 120.0


def signed(body: bytes, secret: str, *, webhook_id: str) -> dict[str, str]:
    """Signed both ways, so that either check of the generic webhook passes: Standard
    Webhooks (https://www.standardwebhooks.com, with that project's library; the id is
    the delivery's, the same on every resend) and the older ``X-Leadrouter-Signature``
    (hex HMAC-SHA256 of the body, docs/webhooks.md)."""
    now = datetime.now(UTC)
    legacy = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, now, body.decode()),
        "x-leadrouter-signature": f"sha256={legacy}",
    }


@dataclass
class Load:
    scorers: Sequence[str]
    secret: str
    profile: Profile
    run_id: str
    rng: random.Random
    acked: list[Acked] = field(default_factory=list)
    offered: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    resent: int = 0
    _emails: list[str] = field(default_factory=list)
    _turn: int = 0

    def lead(self, n: int) -> tuple[str, str, bytes]:
        """The n-th lead: its correlation id, kind and body."""
        draw = self.rng.random()
        p = self.profile
        cid = f"{self.run_id}-{n}"
        email = f"lead{n}@{self.run_id}-{n}.example"
        campaign, kind = CAMPAIGN, "valid"
        if draw < p.share_invalid:
            email, kind = f"not-an-email-{n}", "invalid"
        elif draw < p.share_invalid + p.share_same_person and self._emails:
            email, kind = self.rng.choice(self._emails), "same_person"
        elif draw < p.share_invalid + p.share_same_person + p.share_sla:
            campaign, kind = SLA_CAMPAIGN, "sla"
        if kind == "valid":
            self._emails.append(email)
        body = {
            "campaign_id": campaign,
            "external_id": cid,
            "contact": {"email": email, "first_name": f"Lead {n}", "country": "US"},
            "answers": {"interest": "demo"},
        }
        return cid, kind, json.dumps(body).encode()

    async def run(self, stop: asyncio.Event, http: httpx.AsyncClient) -> None:
        """Offer leads at the profile's rate until ``stop``; then wait for those in flight."""
        slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        tasks: set[asyncio.Task[None]] = set()
        began = time.monotonic()
        n = 0
        while not stop.is_set():
            due = began + n / self.profile.rate_per_s
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.0, due - time.monotonic()))
                break
            await slots.acquire()
            cid, kind, body = self.lead(n)
            n += 1
            self.offered += 1
            task = asyncio.create_task(self._deliver(http, cid, kind, body, slots))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*tasks)

    async def _deliver(
        self,
        http: httpx.AsyncClient,
        cid: str,
        kind: str,
        body: bytes,
        slots: asyncio.Semaphore,
    ) -> None:
        try:
            deadline = time.monotonic() + RESEND_FOR_S
            pause = 0.2
            while True:
                self._turn += 1
                scorer = self.scorers[self._turn % len(self.scorers)]
                status = await self._post(http, scorer, cid, body)
                if status == 202:
                    self.acked.append(Acked(cid, kind))
                    return
                if status is not None and status < 500 and status != 429:
                    # Refused for good: a 4xx for a valid signed lead is a bug of ours.
                    self.refused[f"{status}"] += 1
                    log.error("lead %s refused with %s", cid, status)
                    return
                if time.monotonic() + pause > deadline:
                    self.refused["no 202 in time"] += 1
                    return
                self.resent += 1
                await asyncio.sleep(pause)
                pause = min(2.0, pause * 2)
        finally:
            slots.release()

    async def _post(
        self, http: httpx.AsyncClient, scorer: str, cid: str, body: bytes
    ) -> int | None:
        try:
            answer = await http.post(
                f"{scorer}/v1/webhooks/generic",
                content=body,
                headers={**signed(body, self.secret, webhook_id=cid), "x-correlation-id": cid},
                timeout=httpx.Timeout(20, connect=2),
            )
        except httpx.TransportError:
            return None
        return answer.status_code
