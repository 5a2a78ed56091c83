"""``/api/v1/me/workspace``: a Slack admin's view of their own workspace, and its daily-alerts
switch, which the scheduler's claim obeys; the roles as Slack reports them (sign-in,
``user_change``), re-read on every call.

Both backends (the ``client`` fixture runs each test on SQLite and PostgreSQL).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tests.support.clock import WallClock
from tests.support.dataservice_api import (
    NOW,
    check_against_document,
    claim,
    create_user_in,
    put_alerts,
)
from tests.support.dataservice_fixtures import Auth
from tests.support.installations import install_body

if TYPE_CHECKING:
    from quart.typing import TestClientProtocol

ADMIN = {"is_admin": True, "is_owner": False}
MEMBER = {"is_admin": False, "is_owner": False}


async def sign_in(
    client: TestClientProtocol, auth: Auth, team: str, user: str, **fields: Any
) -> tuple[str, dict[str, Any]]:
    """A session of ``team``/``user`` (roles, time zone... as ``fields``): its id and user."""
    body = {
        "team_id": team,
        "slack_user_id": user,
        "display_name": f"{user} of {team}",
        "team_name": f"Team {team}",
        "lifetime_seconds": 7 * 86400,
        **fields,
    }
    response = await client.post("/api/v1/sessions", json=body, headers=auth("sessions:write"))
    assert response.status_code == 201, await response.get_data()
    created = await response.get_json()
    return created["session_id"], created["user"]


async def as_person(
    client: TestClientProtocol,
    auth: Auth,
    session_id: str,
    method: str,
    path: str = "/api/v1/me/workspace",
    **body: Any,
) -> Any:
    scope = "sessions:read" if method == "GET" else "sessions:write"
    headers = {**auth(scope), "Jeeves-Session": session_id}
    response = await client.open(path, method=method, headers=headers, **body)
    check_against_document(method, path, response.status_code, await response.get_data())
    return response


async def answer(client: TestClientProtocol, auth: Auth, reply_id: str, team: str | None) -> None:
    """The Slack poster's round for one reply part: lease it (for ``team``), report it done."""
    item = {"event_id": reply_id, "key": f"k-{reply_id}"} | ({"team_id": team} if team else {})
    claims = auth("events:claim")
    leased = await client.post(
        "/api/v1/events/leases", json={"lease_seconds": 30, "claims": [item]}, headers=claims
    )
    assert (await leased.get_json())["results"][0]["status"] == "acquired"
    done = await client.post(
        "/api/v1/events/done",
        json={"claims": [{"event_id": reply_id, "key": f"k-{reply_id}"}]},
        headers=claims,
    )
    assert (await done.get_json())["results"][0]["status"] == "done"


async def test_an_admin_sees_their_workspace_its_installation_users_and_last_days_answers(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    clock.now = NOW - timedelta(hours=30)
    installed = await client.put(
        "/api/v1/installations", json=install_body(), headers=auth("installations:write")
    )
    assert installed.status_code in (200, 201)
    await answer(client, auth, "reply-00000000000000aa-0", "T1")  # 30 hours ago: not counted
    clock.now = NOW
    session_id, _ = await sign_in(client, auth, "T1", "UADMIN", **ADMIN)
    await sign_in(client, auth, "T1", "UBOB", **MEMBER)
    await sign_in(client, auth, "T2", "UCAROL", is_admin=True, is_owner=True)
    for reply_id in ("reply-1111111111111111-0", "reply-1111111111111111-1"):
        await answer(client, auth, reply_id, "T1")  # one answer in two parts: one action
    await answer(client, auth, "reply-2222222222222222-0", "T1")
    await answer(client, auth, "reply-3333333333333333-0", "T2")  # another workspace's
    await answer(client, auth, "reply-4444444444444444-0", None)  # an older poster's
    await answer(client, auth, "install-state-xyz", "T1")  # a once-only claim, no answer
    clock.now = NOW + timedelta(minutes=5)

    response = await as_person(client, auth, session_id, "GET")

    assert response.status_code == 200
    seen = await response.get_json()
    assert seen["team_id"] == "T1"
    assert seen["team_name"] == "Team T1"
    assert seen["daily_alerts_enabled"] is True
    assert seen["answered_last_day"] == 2
    assert seen["as_of"] == "2025-06-01T09:05:00Z"
    assert seen["installation"]["active"] is True
    assert seen["installation"]["bot_scopes"] == ["chat:write", "users:read"]
    assert seen["installation"]["installed_at"] == "2025-05-31T03:00:00Z"
    assert "xoxb" not in json.dumps(seen)
    assert seen["user_count"] == 2
    assert [(u["slack_user_id"], u["is_admin"]) for u in seen["users"]] == [
        ("UADMIN", True),
        ("UBOB", False),
    ]
    assert seen["users_shown"] == 100


async def test_a_workspace_without_an_installation_says_so(
    client: TestClientProtocol, auth: Auth
) -> None:
    session_id, _ = await sign_in(client, auth, "T7", "UOWNER", is_admin=False, is_owner=True)

    seen = await (await as_person(client, auth, session_id, "GET")).get_json()

    assert seen["installation"] is None
    assert seen["answered_last_day"] == 0
    assert seen["user_count"] == 1


async def test_someone_who_is_not_an_admin_is_refused_and_changes_nothing(
    client: TestClientProtocol, auth: Auth
) -> None:
    member, _ = await sign_in(client, auth, "T1", "UBOB", **MEMBER)
    unknown, _ = await sign_in(client, auth, "T1", "UNEW")  # roles never reported: not admin
    admin, _ = await sign_in(client, auth, "T1", "UADMIN", **ADMIN)

    for session_id in (member, unknown):
        read = await as_person(client, auth, session_id, "GET")
        write = await as_person(
            client, auth, session_id, "PATCH", json={"daily_alerts_enabled": False}
        )
        for refused in (read, write):
            assert refused.status_code == 403
            body = await refused.get_json()
            assert body["error"] == "not_workspace_admin"
            assert "T1" not in body["error_description"]

    still = await (await as_person(client, auth, admin, "GET")).get_json()
    assert still["daily_alerts_enabled"] is True


async def test_an_admin_of_one_workspace_cannot_reach_another_by_any_id(
    client: TestClientProtocol, auth: Auth
) -> None:
    mallory, _ = await sign_in(client, auth, "TA", "UMAL", **ADMIN)
    victim, _ = await sign_in(client, auth, "TB", "UVIC", **ADMIN)

    by_query = await as_person(client, auth, mallory, "GET", "/api/v1/me/workspace?team_id=TB")
    by_body = await as_person(
        client, auth, mallory, "PATCH", json={"daily_alerts_enabled": False, "team_id": "TB"}
    )
    other_user = await client.patch(
        "/api/v1/me/workspace",
        json={"daily_alerts_enabled": False},
        headers={**auth("sessions:write"), "Jeeves-Session": victim[:-2] + "xx"},
    )

    assert (await by_query.get_json())["team_id"] == "TA"
    assert by_body.status_code == 422  # no such field: refused, nothing changed
    assert other_user.status_code == 403
    theirs = await (await as_person(client, auth, victim, "GET")).get_json()
    assert theirs["daily_alerts_enabled"] is True
    assert [u["slack_user_id"] for u in theirs["users"]] == ["UVIC"]


async def test_a_demotion_in_slack_takes_effect_at_the_next_call(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    clock.now = NOW
    session_id, user = await sign_in(client, auth, "T1", "UADMIN", **ADMIN)
    assert user["is_admin"] is True
    assert user["roles_checked_at"] == "2025-06-01T09:00:00Z"
    assert (await as_person(client, auth, session_id, "GET")).status_code == 200

    clock.now = NOW + timedelta(minutes=1)
    demoted = await client.patch(  # what the user worker does on Slack's user_change
        f"/api/v1/users/{user['id']}", json=MEMBER, headers=auth("users:write")
    )

    assert (await demoted.get_json())["roles_checked_at"] == "2025-06-01T09:01:00Z"
    assert (await as_person(client, auth, session_id, "GET")).status_code == 403
    promoted = await client.patch(
        f"/api/v1/users/{user['id']}",
        json={"is_admin": False, "is_owner": True},
        headers=auth("users:write"),
    )
    assert (await promoted.get_json())["is_owner"] is True
    assert (await as_person(client, auth, session_id, "GET")).status_code == 200


async def test_roles_older_than_the_stored_ones_are_left_out(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    """A user_change retried after a newer one (or after a sign-in) must not undo it: roles
    dated by Slack (``roles_as_of``) apply only if newer than ``roles_checked_at``."""
    clock.now = NOW + timedelta(minutes=10)
    session_id, user = await sign_in(client, auth, "T1", "UADMIN", **ADMIN)
    path, scope = f"/api/v1/users/{user['id']}", auth("users:write")

    demoted = await client.patch(
        path, json={**MEMBER, "roles_as_of": "2025-06-01T09:12:00Z"}, headers=scope
    )
    late_promotion = await client.patch(
        path,
        json={"is_admin": True, "is_owner": False, "roles_as_of": "2025-06-01T09:11:00Z"},
        headers=scope,
    )
    naive = await client.patch(
        path, json={**ADMIN, "roles_as_of": "2025-06-01T09:13:00"}, headers=scope
    )

    assert (await demoted.get_json())["roles_checked_at"] == "2025-06-01T09:12:00Z"
    kept = await late_promotion.get_json()
    assert (kept["is_admin"], kept["roles_checked_at"]) == (False, "2025-06-01T09:12:00Z")
    assert naive.status_code == 422  # a time without its zone is refused
    assert (await as_person(client, auth, session_id, "GET")).status_code == 403
    before_sign_in = await client.patch(
        path, json={**ADMIN, "roles_as_of": "2025-06-01T08:00:00Z"}, headers=scope
    )
    assert (await before_sign_in.get_json())["is_admin"] is False


async def test_sign_in_stores_slacks_roles_and_time_zone_and_unknown_roles_leave_them(
    client: TestClientProtocol, auth: Auth
) -> None:
    _, first = await sign_in(client, auth, "T1", "U1", timezone="Asia/Tokyo", **ADMIN)
    _, again = await sign_in(client, auth, "T1", "U1", timezone="Europe/Paris")

    assert first["timezone"] == "Asia/Tokyo"
    assert (first["is_admin"], first["is_owner"]) == (True, False)
    assert again["timezone"] == "Asia/Tokyo"  # their own choice stays
    assert (again["is_admin"], again["is_owner"]) == (True, False)
    assert again["roles_checked_at"] == first["roles_checked_at"]


async def alerted(client: TestClientProtocol, auth: Auth, team: str, user: str) -> dict[str, Any]:
    """A user of ``team`` in Paris with the daily alert on at 08:00 (switched on at NOW)."""
    person = await create_user_in(client, auth, "Europe/Paris", team=team, user=user)
    response = await put_alerts(client, auth, person["id"], {"enabled": True})
    result: dict[str, Any] = await response.get_json()
    return result


async def test_alerts_switched_off_for_a_workspace_are_not_claimed_until_switched_on(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    clock.now = NOW
    admin, _ = await sign_in(client, auth, "T1", "UADMIN", **ADMIN)
    ours = await alerted(client, auth, "T1", "U1")
    theirs = await alerted(client, auth, "T2", "U1")
    due = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)  # 08:00 in Paris, the next morning
    assert ours["next_alert_at"] == theirs["next_alert_at"] == "2025-06-02T06:00:00Z"

    off = await as_person(client, auth, admin, "PATCH", json={"daily_alerts_enabled": False})
    claimed = await claim(client, auth, "s1", due + timedelta(minutes=1))

    assert off.status_code == 200
    assert (await off.get_json())["daily_alerts_enabled"] is False
    assert [(a["team_id"], a["user_id"]) for a in claimed["alerts"]] == [("T2", theirs["id"])]

    clock.now = due + timedelta(hours=3)  # 11:00 in Paris: today's alert is long past
    on = await as_person(client, auth, admin, "PATCH", json={"daily_alerts_enabled": True})
    later = await claim(client, auth, "s1", clock.now + timedelta(minutes=1))
    tomorrow = await claim(client, auth, "s1", due + timedelta(days=1, minutes=1))

    assert (await on.get_json())["daily_alerts_enabled"] is True
    assert [a for a in later["alerts"] if a["team_id"] == "T1"] == []  # no stale one at 11:00
    assert [(a["user_id"], a["due_at"]) for a in tomorrow["alerts"] if a["team_id"] == "T1"] == [
        (ours["id"], "2025-06-03T06:00:00Z")
    ]
    user = await client.get(f"/api/v1/users/{ours['id']}", headers=auth("users:read"))
    assert (await user.get_json())["alerts_enabled"] is True  # their own setting was kept


async def test_the_switch_needs_a_boolean(client: TestClientProtocol, auth: Auth) -> None:
    admin, _ = await sign_in(client, auth, "T1", "UADMIN", **ADMIN)

    for body in ({}, {"daily_alerts_enabled": "no"}, {"daily_alerts_enabled": None}):
        response = await as_person(client, auth, admin, "PATCH", json=body)
        assert response.status_code == 422, body


async def test_a_sign_in_gives_both_roles_or_neither(
    client: TestClientProtocol, auth: Auth
) -> None:
    body = {"team_id": "T1", "slack_user_id": "U1", "lifetime_seconds": 3600, "is_admin": True}

    response = await client.post("/api/v1/sessions", json=body, headers=auth("sessions:write"))

    assert response.status_code == 422
