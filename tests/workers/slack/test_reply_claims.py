"""Batched reply claims against the real Data Service."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from jeeves_shared.dataclient import DoneOutcome, LeaseOutcome
from tests.support.dataservice import serving_dataservice
from workers.slack.reply_claims import ReplyClaims


async def test_concurrent_claims_travel_in_few_requests_with_each_answer_right(
    tmp_path: Path,
) -> None:
    async with serving_dataservice(tmp_path) as served, aiohttp.ClientSession() as session:
        data = served.client(session, "events:claim")
        requests = 0
        send = data.request

        async def counting(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
            nonlocal requests
            requests += 1
            return await send(*args, **kwargs)  # type: ignore[arg-type]

        data.request = counting  # type: ignore[method-assign]
        claims = ReplyClaims(data, lease_seconds=30)

        leases = await asyncio.gather(*(claims.lease(f"E{n % 40}", key=f"k{n}") for n in range(80)))
        leased_requests = requests
        winners = [n for n, lease in enumerate(leases) if lease.status == "acquired"]
        reports = await asyncio.gather(*(claims.finish(f"E{n % 40}", key=f"k{n}") for n in winners))
        again = await claims.lease("E0", key="late")
        taken = await claims.finish("E1", key="not-the-holder")
        released = await claims.finish("E-none", key="k")
        await claims.lease("E-free", key="k")
        await claims.release("E-free", key="k")
        freed = await claims.lease("E-free", key="k2")

    assert len(winners) == 40  # one winner per event, each other claim held
    assert {lease.status for n, lease in enumerate(leases) if n not in winners} == {"held"}
    assert leased_requests < 80 / 4  # batched: far fewer requests than claims
    assert {report.status for report in reports} == {"done"}
    assert again == LeaseOutcome(event_id="E0", status="done")
    assert taken == DoneOutcome(event_id="E1", status="taken")
    assert released == DoneOutcome(event_id="E-none", status="not_found")
    assert freed == LeaseOutcome(event_id="E-free", status="acquired")
