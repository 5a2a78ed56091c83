"""The client's alert, reminder and scheduling calls, against the real Data Service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import aiohttp
import pytest

from jeeves_shared.dataclient import (
    SCHEDULER_SCOPES,
    WORKER_SCOPES,
    DataServiceClient,
    InvalidRequest,
    NotFound,
    Unauthorized,
)
from tests.support.clock import WallClock
from tests.support.dataclient import token_of
from tests.support.tokens import TestIssuer

NOW = datetime(2025, 3, 29, 12, 0, tzinfo=UTC)


async def test_alerts_round_trip(client: DataServiceClient, clock: WallClock) -> None:
    clock.now = NOW
    user = await client.get_or_create_user("T1", "U1")
    await client.update_user(user.id, {"timezone": "Europe/Paris"})

    on = await client.set_alerts(user.id, enabled=True)
    moved = await client.set_alerts(user.id, enabled=True, time="07:30")
    off = await client.set_alerts(user.id, enabled=False)

    assert (user.alerts_enabled, user.alert_time, user.next_alert_at) == (False, None, None)
    assert (on.alerts_enabled, on.alert_time) == (True, "08:00")
    assert on.next_alert_at == datetime(2025, 3, 30, 6, 0, tzinfo=UTC)  # DST starts that night
    assert moved.next_alert_at == datetime(2025, 3, 30, 5, 30, tzinfo=UTC)
    assert (off.alerts_enabled, off.alert_time, off.next_alert_at) == (False, "07:30", None)
    assert off.etag == f'"user-{user.id}-v5"'
    with pytest.raises(InvalidRequest):
        await client.set_alerts(user.id, enabled=True, time="7:30")


async def test_reminders_round_trip(client: DataServiceClient) -> None:
    user = await client.get_or_create_user("T1", "U1")
    paris_noon = datetime(2030, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=1)))

    later = await client.create_reminder(
        user.id, text="call Aunt Agatha", due_at=paris_noon, channel_id="D1"
    )
    sooner = await client.create_reminder(
        user.id,
        text="hide",
        due_at=paris_noon - timedelta(hours=1),
        channel_id="C1",
        thread_ts="1712345678.000100",
    )

    assert later.due_at == datetime(2030, 1, 1, 11, 0, tzinfo=UTC)
    assert (later.status, later.thread_ts, sooner.thread_ts) == (
        "pending",
        None,
        "1712345678.000100",
    )
    assert await client.list_reminders(user.id) == [sooner, later]
    assert await client.cancel_reminder(user.id, later.id) is True
    assert await client.cancel_reminder(user.id, later.id) is False
    assert await client.list_reminders(user.id) == [sooner]
    with pytest.raises(NotFound):
        await client.list_reminders(999)
    with pytest.raises(InvalidRequest):
        await client.create_reminder(
            user.id, text="naive", due_at=datetime(2030, 1, 1), channel_id="D1"
        )


async def test_a_reminder_created_twice_with_one_key_is_made_once(
    client: DataServiceClient,
) -> None:
    user = await client.get_or_create_user("T1", "U1")
    due = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

    made = await client.create_reminder(
        user.id, text="tea", due_at=due, channel_id="D1", idempotency_key="Ev42"
    )
    again = await client.create_reminder(
        user.id, text="tea", due_at=due, channel_id="D1", idempotency_key="Ev42"
    )
    other = await client.create_reminder(
        user.id, text="tea", due_at=due, channel_id="D1", idempotency_key="Ev43"
    )

    assert again == made
    assert await client.list_reminders(user.id) == [made, other]


async def test_claim_and_finish(client: DataServiceClient, clock: WallClock) -> None:
    clock.now = NOW
    user = await client.get_or_create_user("T1", "U1")
    await client.update_user(user.id, {"location": "Paris", "timezone": "Europe/Paris"})
    alerted = await client.set_alerts(user.id, enabled=True)
    reminder = await client.create_reminder(user.id, text="tea", due_at=NOW, channel_id="D1")
    assert alerted.next_alert_at is not None
    due = alerted.next_alert_at

    claimed = await client.claim_due("s1", now=due, lease_seconds=30, limit=10)
    rival = await client.claim_due("s2", now=due)
    clock.now = due + timedelta(seconds=1)

    [got] = claimed.reminders
    [alert] = claimed.alerts
    assert (got.id, got.text, got.team_id, got.slack_user_id) == (reminder.id, "tea", "T1", "U1")
    assert (alert.user_id, alert.due_at, alert.location, alert.units) == (
        user.id,
        due,
        "Paris",
        "metric",
    )
    assert (rival.reminders, rival.alerts) == ([], [])
    assert await client.finish_reminder(reminder.id, "s2") is False
    assert await client.finish_reminder(reminder.id, "s1") is True
    assert await client.finish_reminder(reminder.id, "s1") is False
    assert await client.finish_alert(user.id, "s2", due) is False
    assert await client.finish_alert(user.id, "s1", due) is True
    assert await client.finish_alert(user.id, "s1", due) is False
    assert (await client.get_user(user.id)).next_alert_at == due + timedelta(days=1)
    with pytest.raises(NotFound):
        await client.finish_reminder(999, "s1")


async def test_the_scope_sets(
    session: aiohttp.ClientSession,
    base_url: str,
    issuer: TestIssuer,
) -> None:
    worker = DataServiceClient(session, base_url, token_of(issuer, " ".join(WORKER_SCOPES)))
    scheduler = DataServiceClient(session, base_url, token_of(issuer, " ".join(SCHEDULER_SCOPES)))
    user = await worker.get_or_create_user("T1", "U1")

    await worker.create_reminder(user.id, text="x", due_at=NOW, channel_id="D1")
    assert len(await worker.list_reminders(user.id)) == 1
    assert len((await scheduler.claim_due("s1", now=NOW)).reminders) == 1
    with pytest.raises(Unauthorized):
        await worker.claim_due("s1", now=NOW)
    with pytest.raises(Unauthorized):
        await scheduler.list_reminders(user.id)
