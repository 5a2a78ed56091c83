"""Concurrent schedulers: every due item is claimed by exactly one of them.

On PostgreSQL the claims run in parallel transactions on the app's connection pool (this test
fails if the claim's ``SKIP LOCKED`` row locking is removed); on SQLite the writers queue.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from dataservice.db import open_database
from dataservice.models import Reminder
from tests.support.clock import WallClock
from tests.support.dataservice_api import NOW, add_reminder, claim, create_user, put_alerts
from tests.support.dataservice_fixtures import Auth

if TYPE_CHECKING:
    from quart.typing import TestClientProtocol


@pytest.mark.parametrize("claimers", [4])
async def test_concurrent_claimers_get_each_item_exactly_once(
    client: TestClientProtocol,
    auth: Auth,
    clock: WallClock,
    database_url: str,
    claimers: int,
) -> None:
    """Four schedulers claiming small batches at once over 200 reminders and 10 alerts."""
    users = [await create_user(client, auth, user=f"U{n}") for n in range(4)]
    await asyncio.gather(
        *(
            add_reminder(client, auth, user["id"], due_at=NOW - timedelta(seconds=n))
            for user in users
            for n in range(50)
        )
    )
    clock.now = NOW - timedelta(days=1)
    alerted = [await create_user(client, auth, user=f"A{n}") for n in range(10)]
    for user in alerted:
        await put_alerts(client, auth, user["id"], {"enabled": True})
    got: dict[str, list[tuple[str, int]]] = {}

    async def scheduler(owner: str) -> None:
        mine = got.setdefault(owner, [])
        while True:
            claimed = await claim(client, auth, owner, NOW, limit=7)
            if not claimed["reminders"] and not claimed["alerts"]:
                return
            mine += [("reminder", reminder["id"]) for reminder in claimed["reminders"]]
            mine += [("alert", alert["user_id"]) for alert in claimed["alerts"]]

    await asyncio.gather(*(scheduler(f"s{n}") for n in range(claimers)))

    everything = [item for items in got.values() for item in items]
    assert len(everything) == len(set(everything)) == 210
    assert {kind for kind, _ in everything} == {"reminder", "alert"}
    # The database agrees on who holds each reminder.
    holders = await _reminder_holders(database_url)
    assert holders == {
        item_id: owner
        for owner, items in got.items()
        for kind, item_id in items
        if kind == "reminder"
    }


async def _reminder_holders(url: str) -> dict[int, str | None]:
    database = open_database(url, pool_size=1)
    try:
        async with database.engine.connect() as conn:
            rows = await conn.execute(select(Reminder.id, Reminder.lease_owner))
            return {row.id: row.lease_owner for row in rows}
    finally:
        await database.dispose()
