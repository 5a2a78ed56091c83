"""Load generation for the benchmarks: signed Slack events over HTTP, with latencies.

``closed``: ``--concurrency`` senders, each posting as soon as its last answer came (saturation).
``open``: events sent on a fixed schedule at ``--rate`` per second whatever the answers do;
latency is measured from the scheduled send time, so a stall is not hidden.
Runs as its own process (``python -m bench.load``) so it does not share a core's event loop with
the server it measures; prints one JSON line of results.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import aiohttp

from tests.support.slack_requests import encode, event_callback, mention, sign


@dataclass
class Result:
    sent: int
    ok: int
    failed: int
    seconds: float
    rate: float
    p50_ms: float
    p99_ms: float
    max_ms: float


def signed_events(count: int, run: str) -> list[tuple[bytes, dict[str, str]]]:
    """``count`` distinct signed ``@jeeves help`` mentions, each in a channel of its own."""
    events = []
    for n in range(count):
        payload = event_callback(mention("help", channel=f"C{run}{n}"), event_id=f"Ev{run}{n}")
        body = encode(payload)
        events.append((body, sign(body)))
    return events


def summarize(latencies: Sequence[float], sent: int, failed: int, seconds: float) -> Result:
    ordered = sorted(latencies) or [0.0]
    return Result(
        sent=sent,
        ok=len(latencies),
        failed=failed,
        seconds=round(seconds, 2),
        rate=round(len(latencies) / seconds, 1),
        p50_ms=round(statistics.median(ordered) * 1000, 2),
        p99_ms=round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
        max_ms=round(ordered[-1] * 1000, 2),
    )


async def post(
    session: aiohttp.ClientSession, url: str, event: tuple[bytes, dict[str, str]]
) -> bool:
    body, headers = event
    async with session.post(url, data=body, headers=headers) as response:
        await response.read()
        return response.status == 200


async def closed_loop(url: str, concurrency: int, seconds: float) -> Result:
    events = iter(signed_events(int(seconds * 6000), uuid.uuid4().hex[:6]))
    latencies: list[float] = []
    failed = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        deadline = time.monotonic() + seconds

        async def sender() -> None:
            nonlocal failed
            while time.monotonic() < deadline:
                started = time.monotonic()
                if await post(session, url, next(events)):
                    latencies.append(time.monotonic() - started)
                else:
                    failed += 1

        started = time.monotonic()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        elapsed = time.monotonic() - started
    return summarize(latencies, len(latencies) + failed, failed, elapsed)


async def open_loop(url: str, rate: float, seconds: float) -> Result:
    events = signed_events(int(rate * seconds), uuid.uuid4().hex[:6])
    latencies: list[float] = []
    failed = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def send_at(when: float, event: tuple[bytes, dict[str, str]]) -> None:
            nonlocal failed
            await asyncio.sleep(max(0.0, when - time.monotonic()))
            if await post(session, url, event):
                latencies.append(time.monotonic() - when)
            else:
                failed += 1

        start = time.monotonic() + 0.2
        await asyncio.gather(*(send_at(start + n / rate, e) for n, e in enumerate(events)))
        elapsed = time.monotonic() - start
    return summarize(latencies, len(events), failed, elapsed)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["closed", "open"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rate", type=float, default=500)
    args = parser.parse_args()
    if args.mode == "closed":
        result = asyncio.run(closed_loop(args.url, args.concurrency, args.seconds))
    else:
        result = asyncio.run(open_loop(args.url, args.rate, args.seconds))
    print(json.dumps(asdict(result)))


if __name__ == "__main__":
    main()
