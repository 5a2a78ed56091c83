"""The scheduler's side: claiming due reminders and alerts under leases, and finishing them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tests.support.clock import WallClock
from tests.support.dataservice_api import (
    NOW,
    add_reminder,
    check_against_document,
    claim,
    create_user,
    create_user_in,
    put_alerts,
)
from tests.support.dataservice_fixtures import Auth

if TYPE_CHECKING:
    from quart.typing import TestClientProtocol

CLAIM = ("schedule:claim",)


async def finish_reminder(
    client: TestClientProtocol, auth: Auth, reminder_id: int, owner: str
) -> Any:
    return await client.post(
        f"/api/v1/schedule/reminders/{reminder_id}/done",
        json={"owner": owner},
        headers=auth(*CLAIM),
    )


async def finish_alert(
    client: TestClientProtocol, auth: Auth, user_id: int, owner: str, due_at: str
) -> Any:
    return await client.post(
        f"/api/v1/schedule/alerts/{user_id}/done",
        json={"owner": owner, "due_at": due_at},
        headers=auth(*CLAIM),
    )


def ids(claimed: dict[str, Any]) -> list[int]:
    return [reminder["id"] for reminder in claimed["reminders"]]


# --- reminders ----------------------------------------------------------------------------------


async def test_a_claim_leases_the_due_reminders_with_their_slack_ids(
    client: TestClientProtocol, auth: Auth
) -> None:
    user = await create_user(client, auth, team="T9", user="U7")
    due = await add_reminder(client, auth, user["id"], due_at=NOW - timedelta(minutes=1))
    exactly_now = await add_reminder(client, auth, user["id"], due_at=NOW)
    await add_reminder(client, auth, user["id"], due_at=NOW + timedelta(seconds=1))

    claimed = await claim(client, auth, "s1", NOW)

    assert claimed["alerts"] == []
    assert claimed["reminders"] == [
        {**due, "team_id": "T9", "slack_user_id": "U7"},
        {**exactly_now, "team_id": "T9", "slack_user_id": "U7"},
    ]


async def test_a_leased_reminder_goes_to_nobody_else_until_the_lease_ends(
    client: TestClientProtocol, auth: Auth
) -> None:
    user = await create_user(client, auth)
    reminder = await add_reminder(client, auth, user["id"], due_at=NOW)

    first = await claim(client, auth, "s1", NOW, lease_seconds=30)
    during = await claim(client, auth, "s2", NOW + timedelta(seconds=30))
    after = await claim(client, auth, "s2", NOW + timedelta(seconds=31))

    assert (ids(first), ids(during), ids(after)) == ([reminder["id"]], [], [reminder["id"]])


async def test_done_needs_the_lease_and_delivers_once(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    user = await create_user(client, auth)
    reminder = await add_reminder(client, auth, user["id"], due_at=NOW)
    await claim(client, auth, "s1", NOW)  # s1's lease ends at NOW + 60 s
    await claim(client, auth, "s2", NOW + timedelta(seconds=61))  # s2 takes over
    clock.now = NOW + timedelta(seconds=62)

    lost = await finish_reminder(client, auth, reminder["id"], "s1")
    done = await finish_reminder(client, auth, reminder["id"], "s2")
    again = await finish_reminder(client, auth, reminder["id"], "s2")
    later = await claim(client, auth, "s3", NOW + timedelta(days=1))

    assert lost.status_code == 409
    assert (await lost.get_json())["error"] == "lease_lost"
    delivered = await done.get_json()
    assert done.status_code == 200
    assert delivered == {
        **reminder,
        "status": "delivered",
        "delivered_at": "2025-06-01T09:01:02Z",
    }
    assert again.status_code == 409
    assert ids(later) == []
    assert await _pending(client, auth, user["id"]) == []


async def test_done_with_an_expired_lease_nobody_took_over_still_counts(
    client: TestClientProtocol, auth: Auth
) -> None:
    user = await create_user(client, auth)
    first = await add_reminder(client, auth, user["id"], due_at=NOW)
    second = await add_reminder(client, auth, user["id"], due_at=NOW)
    await claim(client, auth, "s1", NOW, lease_seconds=5)

    # The lease ended long ago (the app's clock is the real time), and nobody else claimed.
    late = await finish_reminder(client, auth, first["id"], "s1")
    unclaimed = await finish_reminder(client, auth, second["id"], "s2")

    assert (late.status_code, unclaimed.status_code) == (200, 200)


async def test_cancelled_and_unknown_reminders_cannot_be_finished(
    client: TestClientProtocol, auth: Auth
) -> None:
    user = await create_user(client, auth)
    reminder = await add_reminder(client, auth, user["id"], due_at=NOW)
    await claim(client, auth, "s1", NOW)
    await client.delete(
        f"/api/v1/users/{user['id']}/reminders/{reminder['id']}", headers=auth("reminders:write")
    )

    cancelled = await finish_reminder(client, auth, reminder["id"], "s1")
    unknown = await finish_reminder(client, auth, 4242, "s1")

    assert (cancelled.status_code, unknown.status_code) == (409, 404)
    assert (await cancelled.get_json())["error"] == "lease_lost"


async def test_the_limit_takes_the_oldest_first(client: TestClientProtocol, auth: Auth) -> None:
    user = await create_user(client, auth)
    made = [
        await add_reminder(client, auth, user["id"], due_at=NOW - timedelta(minutes=n))
        for n in range(5)
    ]

    first = await claim(client, auth, "s1", NOW, limit=2)
    rest = await claim(client, auth, "s1", NOW, limit=500)

    assert ids(first) == [made[4]["id"], made[3]["id"]]
    assert ids(rest) == [made[2]["id"], made[1]["id"], made[0]["id"]]


async def _pending(client: TestClientProtocol, auth: Auth, user_id: int) -> list[Any]:
    response = await client.get(
        f"/api/v1/users/{user_id}/reminders", headers=auth("reminders:read")
    )
    pending: list[Any] = (await response.get_json())["reminders"]
    return pending


# --- alerts -------------------------------------------------------------------------------------


async def alerted_user(
    client: TestClientProtocol,
    auth: Auth,
    clock: WallClock,
    zone: str = "Europe/Paris",
    slack_user_id: str = "U1",
) -> dict[str, Any]:
    """A user in ``zone`` with a location, alerts on at 08:00, switched on at :data:`NOW`."""
    clock.now = NOW
    user = await create_user_in(client, auth, zone, user=slack_user_id)
    await client.patch(
        f"/api/v1/users/{user['id']}",
        json={"location": "Paris", "units": "imperial"},
        headers=auth("users:write"),
    )
    response = await put_alerts(client, auth, user["id"], {"enabled": True})
    alerted: dict[str, Any] = await response.get_json()
    return alerted


async def test_an_alert_is_claimed_when_due_and_once_a_day(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    user = await alerted_user(client, auth, clock)
    due_at = "2025-06-02T06:00:00Z"  # 08:00 CEST the next morning
    assert user["next_alert_at"] == due_at
    due = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)

    early = await claim(client, auth, "s1", due - timedelta(seconds=1))
    claimed = await claim(client, auth, "s1", due + timedelta(seconds=5))
    rival = await claim(client, auth, "s2", due + timedelta(seconds=6))
    clock.now = due + timedelta(seconds=10)
    done = await finish_alert(client, auth, user["id"], "s1", due_at)
    same_day = await claim(client, auth, "s2", due + timedelta(hours=12))
    next_day = await claim(client, auth, "s2", due + timedelta(days=1))

    assert early["alerts"] == []
    assert claimed["alerts"] == [
        {
            "user_id": user["id"],
            "team_id": "T1",
            "slack_user_id": "U1",
            "due_at": due_at,
            "timezone": "Europe/Paris",
            "location": "Paris",
            "units": "imperial",
        }
    ]
    assert rival["alerts"] == []
    advanced = await done.get_json()
    assert done.status_code == 200
    assert advanced["next_alert_at"] == "2025-06-03T06:00:00Z"
    assert advanced["version"] == user["version"] + 1
    assert same_day["alerts"] == []
    assert [alert["due_at"] for alert in next_day["alerts"]] == ["2025-06-03T06:00:00Z"]


async def test_alert_done_needs_the_lease_and_the_current_due_time(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    user = await alerted_user(client, auth, clock)
    due_at = user["next_alert_at"]
    due = datetime.fromisoformat(due_at)
    await claim(client, auth, "s1", due, lease_seconds=60)
    clock.now = due + timedelta(seconds=30)

    rival = await finish_alert(client, auth, user["id"], "s2", due_at)
    wrong_time = await finish_alert(client, auth, user["id"], "s1", "2025-06-02T06:00:01Z")
    done = await finish_alert(client, auth, user["id"], "s1", due_at)
    again = await finish_alert(client, auth, user["id"], "s1", due_at)
    unknown = await finish_alert(client, auth, 4242, "s1", due_at)

    assert [r.status_code for r in (rival, wrong_time, done, again, unknown)] == [
        409,
        409,
        200,
        409,
        404,
    ]
    assert (await rival.get_json())["error"] == "lease_lost"


async def test_an_expired_alert_lease_lets_another_scheduler_send_it(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    user = await alerted_user(client, auth, clock)
    due = datetime.fromisoformat(user["next_alert_at"])

    first = await claim(client, auth, "s1", due, lease_seconds=60)
    retaken = await claim(client, auth, "s2", due + timedelta(seconds=61))
    clock.now = due + timedelta(seconds=62)
    stale = await finish_alert(client, auth, user["id"], "s1", user["next_alert_at"])
    done = await finish_alert(client, auth, user["id"], "s2", user["next_alert_at"])

    assert len(first["alerts"]) == len(retaken["alerts"]) == 1
    assert (stale.status_code, done.status_code) == (409, 200)


async def test_alerts_missed_while_down_come_once_then_resume_from_now(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    user = await alerted_user(client, auth, clock)
    back = datetime(2025, 6, 5, 10, 0, tzinfo=UTC)  # three days late

    claimed = await claim(client, auth, "s1", back)
    clock.now = back
    done = await finish_alert(client, auth, user["id"], "s1", user["next_alert_at"])

    assert [alert["due_at"] for alert in claimed["alerts"]] == [user["next_alert_at"]]
    assert (await done.get_json())["next_alert_at"] == "2025-06-06T06:00:00Z"


async def test_switched_off_or_moved_alerts_are_not_claimed(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    off = await alerted_user(client, auth, clock, slack_user_id="UOFF")
    moved = await alerted_user(client, auth, clock, slack_user_id="UMOVED")
    due = datetime.fromisoformat(off["next_alert_at"])
    await put_alerts(client, auth, off["id"], {"enabled": False})
    await put_alerts(client, auth, moved["id"], {"enabled": True, "time": "09:00"})

    at_eight = await claim(client, auth, "s1", due + timedelta(minutes=59))
    at_nine = await claim(client, auth, "s1", due + timedelta(hours=1))

    assert at_eight["alerts"] == []
    assert [alert["user_id"] for alert in at_nine["alerts"]] == [moved["id"]]


async def test_rescheduling_frees_a_lease_for_the_new_time(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    user = await alerted_user(client, auth, clock, zone="UTC")
    due = datetime.fromisoformat(user["next_alert_at"])  # 2025-06-02 08:00 UTC
    await claim(client, auth, "s1", due, lease_seconds=3600)
    clock.now = due + timedelta(minutes=1)
    await put_alerts(client, auth, user["id"], {"enabled": True, "time": "08:30"})

    moved = await claim(client, auth, "s2", due + timedelta(minutes=30))
    stale = await finish_alert(client, auth, user["id"], "s1", user["next_alert_at"])

    assert [alert["due_at"] for alert in moved["alerts"]] == ["2025-06-02T08:30:00Z"]
    assert stale.status_code == 409


# --- input and documentation --------------------------------------------------------------------


async def test_invalid_claims_and_finishes_are_422(client: TestClientProtocol, auth: Auth) -> None:
    good = {"owner": "s1", "now": "2025-06-01T09:00:00Z"}
    claims: list[tuple[Any, list[str]]] = [
        ({**good, "owner": ""}, ["body", "owner"]),
        ({**good, "owner": "o" * 101}, ["body", "owner"]),
        ({**good, "now": "2025-06-01T09:00:00"}, ["body", "now"]),
        ({**good, "now": 1748768400}, ["body", "now"]),
        ({**good, "lease_seconds": 4}, ["body", "lease_seconds"]),
        ({**good, "lease_seconds": 3601}, ["body", "lease_seconds"]),
        ({**good, "lease_seconds": 60.5}, ["body", "lease_seconds"]),
        ({**good, "limit": 0}, ["body", "limit"]),
        ({**good, "limit": 501}, ["body", "limit"]),
        ({**good, "limit": True}, ["body", "limit"]),
        ({"owner": "s1"}, ["body", "now"]),
    ]
    for body, loc in claims:
        response = await client.post("/api/v1/schedule/claim", json=body, headers=auth(*CLAIM))
        assert response.status_code == 422, body
        assert (await response.get_json())["details"][0]["loc"] == loc, body

    finishes = [
        await client.post("/api/v1/schedule/reminders/1/done", json={}, headers=auth(*CLAIM)),
        await client.post(
            "/api/v1/schedule/reminders/0/done", json={"owner": "s"}, headers=auth(*CLAIM)
        ),
        await client.post(
            "/api/v1/schedule/alerts/1/done", json={"owner": "s"}, headers=auth(*CLAIM)
        ),
        await client.post(
            "/api/v1/schedule/alerts/1/done",
            json={"owner": "s", "due_at": "soon"},
            headers=auth(*CLAIM),
        ),
    ]
    assert [response.status_code for response in finishes] == [422] * 4


async def test_whole_number_floats_are_integers(client: TestClientProtocol, auth: Auth) -> None:
    """JSON Schema's ``integer`` includes ``60.0``, so the documented API must accept it."""
    body = {"owner": "s1", "now": "2025-06-01T09:00:00Z", "lease_seconds": 60.0, "limit": 1e2}

    response = await client.post("/api/v1/schedule/claim", json=body, headers=auth(*CLAIM))

    assert response.status_code == 200


async def test_answers_match_the_document(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    user = await alerted_user(client, auth, clock)
    everything = auth("users:write", "reminders:read", "reminders:write", "schedule:claim")
    reminders = f"/api/v1/users/{user['id']}/reminders"
    body = {"text": "t", "due_at": "2025-06-01T09:00:00Z", "channel_id": "C1"}
    calls: list[tuple[str, str, dict[str, str], Any]] = [
        ("PUT", f"/api/v1/users/{user['id']}/alerts", everything, {"enabled": True}),
        ("PUT", f"/api/v1/users/{user['id']}/alerts", everything, {"enabled": 1}),
        ("POST", reminders, everything, body),
        ("POST", "/api/v1/users/999/reminders", everything, body),
        ("GET", reminders, everything, None),
        (
            "POST",
            "/api/v1/schedule/claim",
            everything,
            {"owner": "s", "now": "2030-01-01T00:00:00Z"},
        ),
        ("POST", "/api/v1/schedule/claim", auth("reminders:read"), {"owner": "s"}),
        ("POST", "/api/v1/schedule/reminders/1/done", everything, {"owner": "s"}),
        ("POST", "/api/v1/schedule/reminders/1/done", everything, {"owner": "s"}),
        (
            "POST",
            f"/api/v1/schedule/alerts/{user['id']}/done",
            everything,
            {"owner": "s", "due_at": "2030-01-01T00:00:00Z"},
        ),
        ("DELETE", f"{reminders}/1", everything, None),
        ("POST", reminders, {}, body),
    ]
    statuses = set()
    for method, url, headers, json in calls:
        response = await client.open(url, method=method, headers=headers, json=json)
        statuses.add(response.status_code)
        check_against_document(
            method, url, response.status_code, await response.get_data(as_text=False)
        )

    assert statuses == {200, 201, 401, 403, 404, 409, 422}
