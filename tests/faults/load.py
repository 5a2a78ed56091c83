"""A steady stream of signed Slack events that behaves like Slack when the front door fails.

Slack retries a delivery that did not get a 2xx within 3 s up to three times (about at once,
after a minute, after five minutes). The same schedule runs here ten times faster, so an outage
of a few seconds costs a retry, and one longer than Slack's patience would show up as events
never acknowledged. ``deliveries=3`` sends every event three times whatever the answers, to
the front doors in turn, as Slack does when its retries cross a slow first answer.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import encode, event_callback, mention, sign

#: Slack's retry schedule (0 s, 1 min, 5 min), ten times faster.
SLACK_RETRIES = (0.5, 6.0, 30.0)
CHANNEL = "CFAULTS"


def thread_of(n: int) -> str:
    """Event ``n`` is asked in a thread of its own, so its answers are told apart by thread."""
    return f"1800000000.{n:06d}"


@dataclass
class Delivery:
    """What happened to one event at the front doors."""

    n: int
    attempts: int = 0
    acked_at: float | None = None
    statuses: list[int | str] = field(default_factory=list)


class Load:
    """Send ``count`` events at ``rate`` per second to ``fronts``."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        fronts: list[str],
        *,
        count: int,
        rate: float,
        deliveries: int = 1,
    ) -> None:
        self.session = session
        self.fronts = fronts
        self.count = count
        self.rate = rate
        self.deliveries = deliveries
        self.events = [Delivery(n) for n in range(count)]
        self.started = 0.0
        self._tasks: list[asyncio.Task[None]] = []

    def payload(self, n: int) -> dict[str, Any]:
        """Event ``n``: ``@jeeves help weather`` in a thread of its own."""
        event = mention("help weather", channel=CHANNEL, thread_ts=thread_of(n))
        return event_callback(event, event_id=f"EvFault{n:06d}")

    async def run(self) -> None:
        """Send everything at the steady rate; return once every delivery is settled."""
        self.started = time.monotonic()
        for n in range(self.count):
            await asyncio.sleep(max(0.0, self.started + n / self.rate - time.monotonic()))
            self._tasks.append(asyncio.create_task(self._deliver(self.events[n])))
        await asyncio.gather(*self._tasks)

    async def _deliver(self, delivery: Delivery) -> None:
        body = encode(self.payload(delivery.n))
        if self.deliveries > 1:
            for attempt in range(self.deliveries):
                await self._post(delivery, body, attempt)
            return
        for attempt, wait in enumerate((0.0, *SLACK_RETRIES)):
            await asyncio.sleep(wait)
            if await self._post(delivery, body, attempt):
                return

    async def _post(self, delivery: Delivery, body: bytes, attempt: int) -> bool:
        front = self.fronts[(delivery.n + attempt) % len(self.fronts)]
        headers = sign(body)
        if attempt:
            headers |= {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_error"}
        delivery.attempts += 1
        try:
            async with self.session.post(
                f"{front}/slack/events",
                data=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=3),
            ) as response:
                delivery.statuses.append(response.status)
                ok = response.status == 200
        except (aiohttp.ClientError, TimeoutError) as exc:
            delivery.statuses.append(type(exc).__name__)
            ok = False
        if ok and delivery.acked_at is None:
            delivery.acked_at = time.monotonic()
        return ok

    @property
    def acked(self) -> list[int]:
        """Events a front door acknowledged at least once."""
        return [d.n for d in self.events if d.acked_at is not None]


@dataclass(frozen=True)
class Tally:
    """The fake Slack's record, event by event."""

    sent: int
    acked: int
    answered: int
    duplicates: int
    lost: int
    #: Answers that belong to no event sent (must be 0).
    strays: int


def tally(load: Load, slack: FakeSlack) -> Tally:
    """Count answers per event: each must have exactly one post, in its thread."""
    per_thread = Counter(
        post.get("thread_ts") for post in slack.posts if post.get("channel") == CHANNEL
    )
    threads = {thread_of(n) for n in range(load.count)}
    answered = sum(1 for t in threads if per_thread[t] > 0)
    duplicates = sum(per_thread[t] - 1 for t in threads if per_thread[t] > 1)
    strays = sum(count for t, count in per_thread.items() if t not in threads)
    return Tally(
        sent=load.count,
        acked=len(load.acked),
        answered=answered,
        duplicates=duplicates,
        lost=load.count - answered,
        strays=strays,
    )
