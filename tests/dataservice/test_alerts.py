"""Daily weather alerts: when the next one fires (time zones, DST), and switching them on/off."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataservice.alerts import next_alert_at
from tests.support.clock import WallClock
from tests.support.dataservice_api import create_user, create_user_in, put_alerts
from tests.support.dataservice_fixtures import Auth

if TYPE_CHECKING:
    from quart.typing import TestClientProtocol

READ = ("users:read",)
WRITE = ("users:write",)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- the time arithmetic ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alert_time", "zone", "after", "expected"),
    [
        # No zone: UTC. Strictly after: at 08:00 sharp the next one is tomorrow's.
        ("08:00", None, utc(2025, 6, 1, 7, 59), utc(2025, 6, 1, 8, 0)),
        ("08:00", None, utc(2025, 6, 1, 8, 0), utc(2025, 6, 2, 8, 0)),
        # Paris, spring forward on Sunday 2025-03-30 (02:00 CET → 03:00 CEST).
        ("08:00", "Europe/Paris", utc(2025, 3, 29, 12, 0), utc(2025, 3, 30, 6, 0)),
        ("08:00", "Europe/Paris", utc(2025, 3, 29, 6, 0), utc(2025, 3, 29, 7, 0)),
        ("08:00", "Europe/Paris", utc(2025, 3, 30, 6, 0), utc(2025, 3, 31, 6, 0)),
        # 02:30 does not exist that night: the alert comes at 03:30 CEST, once.
        ("02:30", "Europe/Paris", utc(2025, 3, 29, 12, 0), utc(2025, 3, 30, 1, 30)),
        ("02:30", "Europe/Paris", utc(2025, 3, 30, 1, 30), utc(2025, 3, 31, 0, 30)),
        # Paris, fall back on 2025-10-26 (03:00 CEST → 02:00 CET): 02:30 comes twice, alert once.
        ("02:30", "Europe/Paris", utc(2025, 10, 25, 12, 0), utc(2025, 10, 26, 0, 30)),
        ("02:30", "Europe/Paris", utc(2025, 10, 26, 0, 30), utc(2025, 10, 27, 1, 30)),
        ("08:00", "Europe/Paris", utc(2025, 10, 25, 12, 0), utc(2025, 10, 26, 7, 0)),
        # New York: spring forward 2025-03-09, fall back 2025-11-02.
        ("08:00", "America/New_York", utc(2025, 3, 8, 14, 0), utc(2025, 3, 9, 12, 0)),
        ("02:15", "America/New_York", utc(2025, 3, 8, 14, 0), utc(2025, 3, 9, 7, 15)),
        ("08:00", "America/New_York", utc(2025, 11, 1, 13, 0), utc(2025, 11, 2, 13, 0)),
        ("01:30", "America/New_York", utc(2025, 11, 2, 4, 0), utc(2025, 11, 2, 5, 30)),
        ("01:30", "America/New_York", utc(2025, 11, 2, 5, 30), utc(2025, 11, 3, 6, 30)),
        # Local date differs from the UTC date: 23:00 UTC is already tomorrow in Tokyo.
        ("07:00", "Asia/Tokyo", utc(2025, 6, 1, 23, 0), utc(2025, 6, 2, 22, 0)),
        ("00:00", "Asia/Kolkata", utc(2025, 6, 1, 18, 29), utc(2025, 6, 1, 18, 30)),
    ],
)
def test_next_alert_at(
    alert_time: str, zone: str | None, after: datetime, expected: datetime
) -> None:
    found = next_alert_at(alert_time, zone, after=after)

    assert found == expected
    assert found.tzinfo is UTC


ZONES = [
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "Australia/Lord_Howe",  # 30-minute DST
    "America/St_Johns",
    "Asia/Kathmandu",
    "Pacific/Apia",  # skipped 2011-12-30 entirely
    "Antarctica/Troll",  # 2-hour DST
]


@settings(max_examples=300, deadline=None)
@given(
    after=st.datetimes(
        min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    alert=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    zone=st.sampled_from(ZONES),
)
def test_next_alert_is_the_first_occurrence_after(after: datetime, alert: time, zone: str) -> None:
    wall = f"{alert:%H:%M}"
    found = next_alert_at(wall, zone, after=after)
    local = found.astimezone(ZoneInfo(zone))

    assert after < found <= after + timedelta(hours=26)
    # At that wall time, unless the clock skipped it that day (then just after the gap).
    if local.time() != alert:
        assert _skipped(local.date(), alert, zone) or _skipped(
            local.date() - timedelta(days=1), alert, zone
        )
    # Nothing earlier: the day before's occurrence was not after ``after``.
    day_before = datetime.combine(local.date() - timedelta(days=1), alert, ZoneInfo(zone))
    assert day_before.astimezone(UTC) <= after or _skipped(day_before.date(), alert, zone)


def _skipped(day: Any, alert: time, zone: str) -> bool:
    local = datetime.combine(day, alert, ZoneInfo(zone))
    return local.astimezone(UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None) != local.replace(
        tzinfo=None
    )


# --- the API ------------------------------------------------------------------------------------


async def test_switching_alerts_on_defaults_to_eight_utc(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    clock.now = utc(2025, 6, 1, 9, 0)
    user = await create_user(client, auth)
    assert (user["alerts_enabled"], user["alert_time"], user["next_alert_at"]) == (
        False,
        None,
        None,
    )

    response = await put_alerts(client, auth, user["id"], {"enabled": True})

    body = await response.get_json()
    assert response.status_code == 200
    assert (body["alerts_enabled"], body["alert_time"]) == (True, "08:00")
    assert body["next_alert_at"] == "2025-06-02T08:00:00Z"
    assert body["version"] == 2
    assert response.headers["ETag"] == f'"user-{user["id"]}-v2"'
    read = await client.get(f"/api/v1/users/{user['id']}", headers=auth(*READ))
    assert await read.get_json() == body


async def test_alerts_follow_the_users_time_zone_across_dst(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    paris = await create_user_in(client, auth, "Europe/Paris", user="UPARIS")
    york = await create_user_in(client, auth, "America/New_York", user="UNYC")

    clock.now = utc(2025, 3, 29, 12, 0)  # the day before Paris springs forward
    at_paris = await put_alerts(client, auth, paris["id"], {"enabled": True})
    clock.now = utc(2025, 3, 8, 14, 0)  # the day before New York springs forward
    at_york = await put_alerts(client, auth, york["id"], {"enabled": True, "time": "07:15"})

    assert (await at_paris.get_json())["next_alert_at"] == "2025-03-30T06:00:00Z"  # 08:00 CEST
    assert (await at_york.get_json())["next_alert_at"] == "2025-03-09T11:15:00Z"  # 07:15 EDT


async def test_a_new_time_zone_moves_the_next_alert(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    clock.now = utc(2025, 10, 25, 12, 0)
    user = await create_user(client, auth)
    await put_alerts(client, auth, user["id"], {"enabled": True, "time": "09:30"})
    path = f"/api/v1/users/{user['id']}"

    paris = await client.patch(path, json={"timezone": "Europe/Paris"}, headers=auth(*WRITE))
    back_to_utc = await client.patch(path, json={"timezone": None}, headers=auth(*WRITE))
    await put_alerts(client, auth, user["id"], {"enabled": False})
    while_off = await client.patch(path, json={"timezone": "Asia/Tokyo"}, headers=auth(*WRITE))

    assert (await paris.get_json())["next_alert_at"] == "2025-10-26T08:30:00Z"  # CET again
    assert (await back_to_utc.get_json())["next_alert_at"] == "2025-10-26T09:30:00Z"
    assert (await while_off.get_json())["next_alert_at"] is None


async def test_switching_off_keeps_the_time_for_next_time(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    clock.now = utc(2025, 6, 1, 9, 0)
    user = await create_user(client, auth)
    await put_alerts(client, auth, user["id"], {"enabled": True, "time": "18:45"})

    off = await (await put_alerts(client, auth, user["id"], {"enabled": False})).get_json()
    on = await (await put_alerts(client, auth, user["id"], {"enabled": True})).get_json()
    moved = await put_alerts(client, auth, user["id"], {"enabled": True, "time": "06:00"})

    assert (off["alerts_enabled"], off["alert_time"], off["next_alert_at"]) == (
        False,
        "18:45",
        None,
    )
    assert (on["alert_time"], on["next_alert_at"]) == ("18:45", "2025-06-01T18:45:00Z")
    assert (await moved.get_json())["next_alert_at"] == "2025-06-02T06:00:00Z"


async def test_bad_alert_bodies_are_422(client: TestClientProtocol, auth: Auth) -> None:
    user = await create_user(client, auth)
    cases: list[tuple[Any, list[str]]] = [
        ({"enabled": True, "time": "24:00"}, ["body", "time"]),
        ({"enabled": True, "time": "7:5"}, ["body", "time"]),
        ({"enabled": True, "time": "7:05"}, ["body", "time"]),
        ({"enabled": True, "time": "noon"}, ["body", "time"]),
        ({"enabled": True, "time": "12:60"}, ["body", "time"]),
        ({"enabled": True, "time": "08:00:00"}, ["body", "time"]),
        ({"enabled": True, "time": 800}, ["body", "time"]),
        ({"enabled": "yes"}, ["body", "enabled"]),
        ({"time": "08:00"}, ["body", "enabled"]),
        ({"enabled": True, "at": "08:00"}, ["body", "at"]),
    ]
    for body, loc in cases:
        response = await put_alerts(client, auth, user["id"], body)
        assert response.status_code == 422, body
        assert (await response.get_json())["details"][0]["loc"] == loc, body

    unchanged = await client.get(f"/api/v1/users/{user['id']}", headers=auth(*READ))
    assert (await unchanged.get_json())["version"] == 1


async def test_alerts_of_a_missing_user_is_404_and_a_stale_etag_412(
    client: TestClientProtocol, auth: Auth
) -> None:
    user = await create_user(client, auth)
    await put_alerts(client, auth, user["id"], {"enabled": True})

    tag = f'"user-{user["id"]}-v'

    missing = await put_alerts(client, auth, 4242, {"enabled": True})
    stale = await put_alerts(
        client, auth, user["id"], {"enabled": False}, **{"If-Match": tag + '1"'}
    )
    fresh = await put_alerts(
        client, auth, user["id"], {"enabled": False}, **{"If-Match": tag + '2"'}
    )

    assert (missing.status_code, stale.status_code, fresh.status_code) == (404, 412, 200)
