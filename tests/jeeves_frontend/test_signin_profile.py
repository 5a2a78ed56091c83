"""At Sign in with Slack, Slack's ``users.info`` (with the installation's bot token) gives the
person's time zone and roles; when it cannot, the person is signed in all the same."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from quart import Quart
from quart.typing import TestClientProtocol as Client

from tests.jeeves_frontend.test_signin import (  # noqa: F401 - fixtures, found by name
    app,
    data,
    follow,
    leave_for_slack,
)
from tests.support.fake_slack import Call, FakeSlack
from tests.support.fake_slack_openid import FakeSlackOpenID, Person

ADA = Person()


@pytest.fixture
def openid(fake_slack: FakeSlack) -> FakeSlackOpenID:
    return FakeSlackOpenID(fake_slack)


@pytest.fixture
def client(app: Quart) -> Client:  # noqa: F811 - the fixture
    """One browser (it keeps its cookies)."""
    return app.test_client()


async def sign_in(client: Client, openid: FakeSlackOpenID) -> dict[str, Any]:
    """Sign in with Slack as Ada; what ``/api/me`` then says of her."""
    back = await follow(client, openid.approve(await leave_for_slack(client)))
    assert (back.status_code, back.headers["Location"]) == (303, "/dashboard")
    me = await client.get("/api/me", scheme="https")
    assert me.status_code == 200
    result: dict[str, Any] = (await me.get_json())["user"]
    return result


def users_info_calls(fake_slack: FakeSlack) -> list[Call]:
    return [call for call in fake_slack.calls if call.method == "users.info"]


async def test_sign_in_stores_slacks_time_zone_and_roles_and_opens_the_workspace_page(
    client: Client, fake_slack: FakeSlack, openid: FakeSlackOpenID
) -> None:
    fake_slack.users[ADA.user_id] = {
        "team_id": ADA.team_id,
        "tz": "America/Sao_Paulo",
        "is_admin": True,
        "is_owner": False,
    }

    user = await sign_in(client, openid)

    assert user["timezone"] == "America/Sao_Paulo"
    assert (user["is_admin"], user["is_owner"]) == (True, False)
    [call] = users_info_calls(fake_slack)
    assert call.body["user"] == ADA.user_id
    assert call.authorization == "Bearer xoxb-installed"  # the installation's bot token
    home = await (await client.get("/dashboard", scheme="https")).get_data(as_text=True)
    assert 'href="/dashboard/workspace"' in home
    workspace = await client.get("/dashboard/workspace", scheme="https")
    assert workspace.status_code == 200
    assert "Your workspace: Analytical Engines" in await workspace.get_data(as_text=True)


async def test_a_primary_owner_is_an_owner(
    client: Client, fake_slack: FakeSlack, openid: FakeSlackOpenID
) -> None:
    fake_slack.users[ADA.user_id] = {"is_admin": True, "is_owner": False, "is_primary_owner": True}

    user = await sign_in(client, openid)

    assert user["is_owner"] is True
    assert user["timezone"] is None  # Slack gave none


async def test_a_users_info_failure_still_signs_in_with_no_roles_stored(
    client: Client, fake_slack: FakeSlack, openid: FakeSlackOpenID
) -> None:
    async def failing(args: dict[str, Any], call: Call) -> web.Response:
        return web.json_response({"ok": False, "error": "internal_error"}, status=500)

    fake_slack.methods["users.info"] = failing

    user = await sign_in(client, openid)

    assert users_info_calls(fake_slack)
    assert (user["is_admin"], user["is_owner"], user["roles_checked_at"]) == (False, False, None)
    assert user["timezone"] is None
    home = await (await client.get("/dashboard", scheme="https")).get_data(as_text=True)
    assert "Good day, Ada Lovelace." in home
    assert "/dashboard/workspace" not in home
    refused = await client.get("/dashboard/workspace", scheme="https")
    assert refused.status_code == 403
    assert "admins and owners" in await refused.get_data(as_text=True)


async def test_an_unknown_user_or_a_zone_we_do_not_know_is_not_stored(
    client: Client, fake_slack: FakeSlack, openid: FakeSlackOpenID
) -> None:
    fake_slack.users[ADA.user_id] = {"tz": "Mars/Olympus_Mons", "is_admin": "yes"}

    user = await sign_in(client, openid)

    assert user["timezone"] is None
    assert user["is_admin"] is False  # only JSON true is true
    assert user["roles_checked_at"] is not None
