"""Users: get-or-create, read, update, settings, listing, and their error answers."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from quart.typing import TestClientProtocol


from tests.support.dataservice_api import DOCUMENT, create_user
from tests.support.dataservice_fixtures import Auth

READ = ("users:read",)
WRITE = ("users:write",)


async def test_get_or_create_creates_then_returns_the_same_user(
    client: TestClientProtocol, auth: Auth
) -> None:
    body = {"team_id": "T1", "slack_user_id": "U1", "display_name": "Bertie"}
    first = await client.post("/api/v1/users", json=body, headers=auth(*WRITE))
    again = await client.post("/api/v1/users", json=body, headers=auth(*WRITE))

    assert first.status_code == 201
    assert again.status_code == 200
    created = await first.get_json()
    assert created == await again.get_json()
    assert first.headers["Location"] == f"/api/v1/users/{created['id']}"
    assert created["display_name"] == "Bertie"
    assert created["units"] == "metric"
    assert created["settings"] == {}
    assert first.headers["ETag"] == f'"user-{created["id"]}-v1"'


async def test_same_slack_user_in_two_workspaces_is_two_users(
    client: TestClientProtocol, auth: Auth
) -> None:
    one = await create_user(client, auth, "T1", "U1")
    two = await create_user(client, auth, "T2", "U1")

    assert one["id"] != two["id"]
    assert (one["team_id"], two["team_id"]) == ("T1", "T2")


async def test_read_by_id_and_by_slack_ids(client: TestClientProtocol, auth: Auth) -> None:
    user = await create_user(client, auth)

    by_id = await client.get(f"/api/v1/users/{user['id']}", headers=auth(*READ))
    by_slack = await client.get("/api/v1/workspaces/T1/users/U1", headers=auth(*READ))

    assert by_id.status_code == by_slack.status_code == 200
    assert await by_id.get_json() == await by_slack.get_json() == user


async def test_missing_user_is_404(client: TestClientProtocol, auth: Auth) -> None:
    by_id = await client.get("/api/v1/users/999", headers=auth(*READ))
    by_slack = await client.get("/api/v1/workspaces/T9/users/U9", headers=auth(*READ))
    patch = await client.patch(
        "/api/v1/users/999", json={"units": "imperial"}, headers=auth(*WRITE)
    )

    assert by_id.status_code == by_slack.status_code == patch.status_code == 404
    assert (await by_id.get_json())["error"] == "not_found"


async def test_update_changes_only_the_fields_sent(client: TestClientProtocol, auth: Auth) -> None:
    user = await create_user(client, auth, display_name="Bertie")

    response = await client.patch(
        f"/api/v1/users/{user['id']}",
        json={"location": "Paris", "timezone": "Europe/Paris", "units": "imperial"},
        headers=auth(*WRITE),
    )

    updated = await response.get_json()
    assert response.status_code == 200
    assert (updated["location"], updated["timezone"], updated["units"]) == (
        "Paris",
        "Europe/Paris",
        "imperial",
    )
    assert updated["display_name"] == "Bertie"
    assert updated["version"] == user["version"] + 1
    assert response.headers["ETag"] == f'"user-{user["id"]}-v2"'


async def test_update_with_null_clears_a_nullable_field(
    client: TestClientProtocol, auth: Auth
) -> None:
    user = await create_user(client, auth)
    path = f"/api/v1/users/{user['id']}"
    await client.patch(path, json={"location": "Paris"}, headers=auth(*WRITE))

    response = await client.patch(path, json={"location": None}, headers=auth(*WRITE))

    assert (await response.get_json())["location"] is None


async def test_invalid_updates_are_422_with_field_errors(
    client: TestClientProtocol, auth: Auth
) -> None:
    user = await create_user(client, auth)
    path = f"/api/v1/users/{user['id']}"
    cases = [
        ({"units": "furlongs"}, ["body", "units"]),
        ({"timezone": "Mars/Olympus_Mons"}, ["body", "timezone"]),
        ({"display_name": None}, ["body", "display_name"]),
        ({"location": "x" * 256}, ["body", "location"]),
        ({"location": "a\u0000b"}, ["body", "location"]),
        ({"is_admin": "maybe"}, ["body", "is_admin"]),
        ({"colour": "blue"}, ["body", "colour"]),
    ]
    for body, loc in cases:
        response = await client.patch(path, json=body, headers=auth(*WRITE))
        error = await response.get_json()
        assert response.status_code == 422, body
        assert error["error"] == "invalid_request"
        assert error["details"][0]["loc"] == loc, body

    unchanged = await client.get(path, headers=auth(*READ))
    assert (await unchanged.get_json())["version"] == 1


@pytest.mark.parametrize("name", ["localtime", "Factory", "posixrules"])
async def test_tz_database_names_that_are_no_place_are_refused_as_unknown_zones(
    client: TestClientProtocol, auth: Auth, name: str
) -> None:
    user = await create_user(client, auth)
    path = f"/api/v1/users/{user['id']}"
    unknown = await client.patch(path, json={"timezone": "Mars/Olympus_Mons"}, headers=auth(*WRITE))
    response = await client.patch(path, json={"timezone": name}, headers=auth(*WRITE))

    assert response.status_code == unknown.status_code == 422
    [detail] = (await response.get_json())["details"]
    [expected] = (await unknown.get_json())["details"]
    assert detail["loc"] == ["body", "timezone"]
    assert detail["msg"] == expected["msg"].replace("'Mars/Olympus_Mons'", repr(name))
    [documented, _none] = DOCUMENT["components"]["schemas"]["UserUpdate"]["properties"]["timezone"][
        "anyOf"
    ]
    assert name not in documented["enum"]


async def test_malformed_bodies_are_422(client: TestClientProtocol, auth: Auth) -> None:
    for raw in (
        b"",
        b"{not json",
        b"[]",
        b'{"team_id": "T1"}',
        b'{"team_id": "T 1", "slack_user_id": "U1"}',
    ):
        response = await client.post(
            "/api/v1/users", data=raw, headers={**auth(*WRITE), "Content-Type": "application/json"}
        )
        assert response.status_code == 422, raw
        assert (await response.get_json())["details"], raw


async def test_bad_path_and_query_values_are_422(client: TestClientProtocol, auth: Auth) -> None:
    for path in (
        "/api/v1/users/abc",
        "/api/v1/users/0",
        "/api/v1/users/99999999999",
        "/api/v1/users?limit=0",
        "/api/v1/users?limit=201",
        "/api/v1/users?cursor=-1",
        "/api/v1/users?team_id=no%20spaces",
        "/api/v1/users?sort=name",
    ):
        response = await client.get(path, headers=auth(*READ))
        assert response.status_code == 422, path


async def test_set_and_unset_a_setting(client: TestClientProtocol, auth: Auth) -> None:
    user = await create_user(client, auth)
    path = f"/api/v1/users/{user['id']}/settings/greeting"

    first = await client.put(path, json={"value": "Good morning"}, headers=auth(*WRITE))
    second = await client.put(path, json={"value": "What ho"}, headers=auth(*WRITE))
    other = await client.put(
        f"/api/v1/users/{user['id']}/settings/news.topic",
        json={"value": "cricket"},
        headers=auth(*WRITE),
    )

    assert first.status_code == second.status_code == other.status_code == 200
    assert (await other.get_json())["settings"] == {"greeting": "What ho", "news.topic": "cricket"}

    removed = await client.delete(path, headers=auth(*WRITE))
    assert removed.status_code == 200
    assert (await removed.get_json())["settings"] == {"news.topic": "cricket"}
    again = await client.delete(path, headers=auth(*WRITE))
    assert again.status_code == 404


async def test_setting_errors(client: TestClientProtocol, auth: Auth) -> None:
    user = await create_user(client, auth)
    base = f"/api/v1/users/{user['id']}/settings"

    bad_key = await client.put(f"{base}/no%20spaces", json={"value": "x"}, headers=auth(*WRITE))
    long_key = await client.put(f"{base}/{'k' * 65}", json={"value": "x"}, headers=auth(*WRITE))
    no_value = await client.put(f"{base}/k", json={}, headers=auth(*WRITE))
    long_value = await client.put(f"{base}/k", json={"value": "v" * 2001}, headers=auth(*WRITE))
    no_user = await client.put(
        "/api/v1/users/4242/settings/k", json={"value": "x"}, headers=auth(*WRITE)
    )

    assert [r.status_code for r in (bad_key, long_key, no_value, long_value)] == [422] * 4
    assert no_user.status_code == 404


async def test_list_pages_through_every_user(client: TestClientProtocol, auth: Auth) -> None:
    created = [await create_user(client, auth, "T1", f"U{i}") for i in range(5)]
    await create_user(client, auth, "T2", "U0")

    seen: list[int] = []
    cursor = 0
    while True:
        response = await client.get(
            f"/api/v1/users?team_id=T1&limit=2&cursor={cursor}", headers=auth(*READ)
        )
        page = await response.get_json()
        seen += [user["id"] for user in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = page["next_cursor"]

    assert seen == [user["id"] for user in created]
    everyone = await client.get("/api/v1/users", headers=auth(*READ))
    assert len((await everyone.get_json())["items"]) == 6


async def test_list_includes_settings(client: TestClientProtocol, auth: Auth) -> None:
    user = await create_user(client, auth)
    await client.put(
        f"/api/v1/users/{user['id']}/settings/k", json={"value": "v"}, headers=auth(*WRITE)
    )

    page = await (await client.get("/api/v1/users", headers=auth(*READ))).get_json()

    assert page["items"][0]["settings"] == {"k": "v"}


async def test_json_types_are_strict(client: TestClientProtocol, auth: Auth) -> None:
    user = await create_user(client, auth)

    response = await client.patch(
        f"/api/v1/users/{user['id']}", json={"is_admin": 1}, headers=auth(*WRITE)
    )

    assert response.status_code == 422


async def test_concurrent_get_or_create_makes_one_user(
    client: TestClientProtocol, auth: Auth
) -> None:
    body = {"team_id": "TNEW", "slack_user_id": "U1"}

    responses = await asyncio.gather(
        *(client.post("/api/v1/users", json=body, headers=auth(*WRITE)) for _ in range(10))
    )

    assert sorted(r.status_code for r in responses) == [200] * 9 + [201]
    assert len({(await r.get_json())["id"] for r in responses}) == 1
