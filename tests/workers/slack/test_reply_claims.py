"""Batched leased claims against the real Data Service."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from jeeves_shared.dataclient import Conflict, NotFound
from jeeves_shared.dataclient.models import EventLease
from tests.support.dataservice import serving_dataservice
from workers.slack.reply_claims import EventClaims


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
        claims = EventClaims(data, lease_seconds=30)

        leases = await asyncio.gather(*(claims.lease(f"E{n % 40}", key=f"k{n}") for n in range(80)))
        leased_requests = requests
        winners = [n for n, lease in enumerate(leases) if lease.state == "acquired"]
        await asyncio.gather(*(claims.finish(f"E{n % 40}", key=f"k{n}") for n in winners))
        again = await claims.lease("E0", key="late")
        with pytest.raises(Conflict):
            await claims.finish("E1", key="not-the-holder")
        with pytest.raises(NotFound):
            await claims.finish("E-none", key="k")
        await claims.lease("E-free", key="k")
        await claims.release("E-free", key="k")
        freed = await claims.lease("E-free", key="k2")

    assert len(winners) == 40  # one winner per event, each other claim held
    assert {lease.state for n, lease in enumerate(leases) if n not in winners} == {"held"}
    assert leased_requests < 80 / 4  # batched: far fewer requests than claims
    assert again == EventLease("done")
    assert freed == EventLease("acquired")
