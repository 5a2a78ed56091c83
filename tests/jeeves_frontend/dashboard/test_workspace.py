"""*Your workspace*: a Slack admin's page and ``/api/me/workspace``, through the front door
over the real Data Service. Only admins and owners see it (others: no link, 403); it is always
their own workspace, whatever id a request carries; the alerts switch is CSRF-checked."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
from pydantic import SecretStr
from quart import Quart

from jeeves_shared.dataclient import DataServiceClient, NewInstallation
from jeeves_shared.runtime.settings import Environment
from tests.jeeves_frontend.dashboard.conftest import (
    Person,
    assert_secure_headers,
    front_door,
    session_cookie,
    unused_token,
)
from tests.support.rabbitmq import free_port

HTMX_FORM = {"HX-Request": "true"}


async def person(
    app: Quart, data: DataServiceClient, team: str, user: str, *, admin: bool
) -> Person:
    """``user`` of ``team`` signed in to ``app``, an admin of it in Slack or not."""
    created = await data.create_session(
        team,
        user,
        display_name=f"{user} of {team}",
        team_name=f"Team {team}",
        lifetime=timedelta(hours=1),
        is_admin=admin,
        is_owner=False,
    )
    signed_in = Person(app, session_cookie(app, created.session_id), created.session_id, 0)
    signed_in.csrf_token = (await signed_in.get_me())["csrf_token"]
    return signed_in


async def install(data: DataServiceClient, team: str) -> None:
    await data.save_installation(
        NewInstallation(
            team_id=team,
            bot_user_id="UJEEVES",
            bot_scopes=["chat:write", "im:write"],
            bot_token=SecretStr(f"xoxb-{team}"),
        )
    )


async def test_an_admin_sees_their_workspace_on_a_page_linked_from_the_dashboard(
    app: Quart, data: DataServiceClient
) -> None:
    await install(data, "TA")
    admin = await person(app, data, "TA", "UADMIN", admin=True)
    await person(app, data, "TA", "UBOB", admin=False)
    await person(app, data, "TB", "UCAROL", admin=True)

    home = await (await admin.send("GET", "/dashboard", page=False)).get_data(as_text=True)
    response = await admin.send("GET", "/dashboard/workspace", page=False)
    page = await response.get_data(as_text=True)

    assert 'href="/dashboard/workspace"' in home
    assert response.status_code == 200
    assert_secure_headers(response.headers, "/dashboard/workspace")
    assert response.headers["Cache-Control"] == "no-store"
    assert "Your workspace: Team TA" in page
    assert "Installed and active" in page
    assert "<code>chat:write</code>, <code>im:write</code>" in page
    assert "People who use Jeeves (2)" in page
    assert "UADMIN" in page and "UBOB" in page and "UCAROL" not in page
    assert '<label class="choice"><input type="checkbox" id="workspace-alerts-enabled"' in page
    assert 'aria-current="page">Your workspace' in page
    assert "<script>" not in page and admin.csrf_token in page


async def test_someone_who_is_not_an_admin_gets_no_link_and_a_403(
    app: Quart, data: DataServiceClient
) -> None:
    bob = await person(app, data, "TA", "UBOB", admin=False)

    home = await (await bob.send("GET", "/dashboard", page=False)).get_data(as_text=True)
    page = await bob.send("GET", "/dashboard/workspace", page=False)
    api = await bob.send("GET", "/api/me/workspace", page=False)
    change = await bob.send("PATCH", "/api/me/workspace", json={"daily_alerts_enabled": False})
    htmx = await bob.send("PATCH", "/api/me/workspace", form={}, headers=HTMX_FORM)

    assert "/dashboard/workspace" not in home
    assert page.status_code == 403
    assert "Only your Slack workspace&#39;s admins and owners" in await page.get_data(as_text=True)
    assert (api.status_code, (await api.get_json())["error"]) == (403, "not_workspace_admin")
    assert change.status_code == 403
    assert htmx.status_code == 403 and htmx.headers["HX-Retarget"] == "#flash"
    anonymous = await app.test_client().get("/api/me/workspace", scheme="https")
    assert anonymous.status_code == 401


async def test_an_admin_switches_the_workspaces_alerts_off_and_on(
    app: Quart, data: DataServiceClient
) -> None:
    admin = await person(app, data, "TA", "UADMIN", admin=True)

    off = await admin.send("PATCH", "/api/me/workspace", form={}, headers=HTMX_FORM)
    fragment = await off.get_data(as_text=True)
    on = await admin.send("PATCH", "/api/me/workspace", json={"daily_alerts_enabled": True})
    wrong = await admin.send("PATCH", "/api/me/workspace", json={"daily_alerts_enabled": "no"})

    assert off.status_code == 200
    assert 'id="workspace-alerts"' in fragment and "checked" not in fragment
    assert "Daily alerts are off for everyone in the workspace." in fragment
    assert on.status_code == 200 and (await on.get_json())["daily_alerts_enabled"] is True
    assert wrong.status_code == 422
    assert "daily_alerts_enabled" in (await wrong.get_json())["fields"]
    seen = await (await admin.send("GET", "/api/me/workspace", page=False)).get_json()
    assert seen["daily_alerts_enabled"] is True


async def test_a_forged_switch_is_refused_and_changes_nothing(
    app: Quart, data: DataServiceClient
) -> None:
    admin = await person(app, data, "TA", "UADMIN", admin=True)
    body = {"daily_alerts_enabled": False}

    no_token = await admin.send(
        "PATCH", "/api/me/workspace", json=body, headers={"X-CSRF-Token": ""}
    )
    other_site = await admin.send(
        "PATCH", "/api/me/workspace", json=body, headers={"Origin": "https://evil.example"}
    )

    assert no_token.status_code == other_site.status_code == 403
    seen = await (await admin.send("GET", "/api/me/workspace", page=False)).get_json()
    assert seen["daily_alerts_enabled"] is True


async def test_signing_in_from_the_workspace_page_comes_back_to_it(
    data: DataServiceClient,
) -> None:
    dev = front_door(data, env=Environment.DEV, dashboard_cookie_secure=False)
    anonymous = await dev.test_client().get("/dashboard/workspace")
    page = await anonymous.get_data(as_text=True)

    assert anonymous.status_code == 200
    assert '<input type="hidden" name="next" value="/dashboard/workspace">' in page


async def test_a_body_that_is_neither_json_nor_a_form_is_refused_and_changes_nothing(
    app: Quart, data: DataServiceClient
) -> None:
    """Read as a form, JSON sent as text/plain (or with no type) would be an empty form: the
    switch off. It is refused instead."""
    admin = await person(app, data, "TA", "UADMIN", admin=True)
    body = b'{"daily_alerts_enabled": true}'
    await admin.send("PATCH", "/api/me/workspace", json={"daily_alerts_enabled": True})

    as_text = await admin.send(
        "PATCH", "/api/me/workspace", data=body, headers={"Content-Type": "text/plain"}
    )
    untyped = await admin.send("PATCH", "/api/me/workspace", data=body)
    alerts = await admin.send("PUT", "/api/me/alerts", data=b'{"enabled": true}')

    for refused in (as_text, untyped, alerts):
        assert refused.status_code == 415
        assert (await refused.get_json())["error"] == "unsupported_media_type"
    seen = await (await admin.send("GET", "/api/me/workspace", page=False)).get_json()
    assert seen["daily_alerts_enabled"] is True


async def test_an_admin_of_one_workspace_cannot_reach_another_by_changing_an_id(
    app: Quart, data: DataServiceClient
) -> None:
    mallory = await person(app, data, "TA", "UMAL", admin=True)
    victim = await person(app, data, "TB", "UVIC", admin=True)

    by_query = await mallory.send("GET", "/api/me/workspace?team_id=TB", page=False)
    by_body = await mallory.send(
        "PATCH", "/api/me/workspace", json={"daily_alerts_enabled": False, "team_id": "TB"}
    )
    by_form = await mallory.send(
        "PATCH", "/api/me/workspace", form={"team_id": "TB"}, headers=HTMX_FORM
    )
    by_path = await mallory.send("GET", "/api/me/workspace/TB", page=False)

    assert (await by_query.get_json())["team_id"] == "TA"
    assert (await by_body.get_json())["team_id"] == "TA"  # the id is not read: its own changed
    assert by_form.status_code == 200
    assert by_path.status_code == 404
    theirs = await (await victim.send("GET", "/api/me/workspace", page=False)).get_json()
    assert theirs["daily_alerts_enabled"] is True
    assert [u["slack_user_id"] for u in theirs["users"]] == ["UVIC"]


async def test_when_the_data_service_is_down_the_workspace_page_says_so(
    app: Quart, data: DataServiceClient
) -> None:
    admin = await person(app, data, "TA", "UADMIN", admin=True)
    async with aiohttp.ClientSession() as http:
        nowhere = DataServiceClient(
            http, f"http://127.0.0.1:{free_port()}", unused_token, retries=0, timeout=1
        )
        down = front_door(nowhere)
        stranded = Person(down, admin.cookie, admin.session_id, 0, admin.csrf_token)
        page = await stranded.send("GET", "/dashboard/workspace", page=False)
        htmx = await stranded.send("PATCH", "/api/me/workspace", form={}, headers=HTMX_FORM)

    assert page.status_code == 503
    assert "cannot reach its data store" in await page.get_data(as_text=True)
    assert htmx.status_code == 503 and htmx.headers["HX-Retarget"] == "#flash"
