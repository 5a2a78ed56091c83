"""Sign in with Slack through the front door's ASGI app, against the fake Slack's OpenID Connect;
at the end, what ``users.info`` adds at sign-in (time zone, Slack roles).

The test plays the browser: it follows the front door's redirect to Slack, lets the fake Slack
approve (or refuse) it, and follows Slack's redirect back, carrying the cookies a browser would.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import jwt
import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pydantic import SecretStr
from quart import Quart, Response
from quart.typing import TestClientProtocol as Client

from jeeves_frontend.app import create_app
from jeeves_frontend.dashboard.signin_state import COOKIE
from jeeves_frontend.settings import FrontendSettings
from jeeves_shared.bus.memory import MemoryBus
from jeeves_shared.bus.topology import WORKER_QUEUES
from jeeves_shared.dataclient import DataServiceClient
from jeeves_shared.dataclient.models import NewInstallation
from jeeves_shared.dataclient.scopes import DASHBOARD_SCOPES, FRONTEND_SCOPES
from jeeves_shared.installations import InstallationKey
from tests.support.dataservice import serving_dataservice
from tests.support.fake_slack import Call, FakeSlack, Scripted
from tests.support.fake_slack_openid import (
    CLIENT_ID,
    CLIENT_SECRET,
    FakeSlackOpenID,
    Flaw,
    Person,
)
from tests.support.production import DASHBOARD_SECRET_KEY
from tests.support.slack_requests import SIGNING_SECRET

PUBLIC_URL = "https://jeeves.example.com"
REDIRECT_URI = f"{PUBLIC_URL}/dashboard/oauth_redirect"
SCOPES = (*FRONTEND_SCOPES, *DASHBOARD_SCOPES)


def signin_settings(fake_slack: FakeSlack, openid: FakeSlackOpenID) -> FrontendSettings:
    """Production settings with a Slack app whose Slack is the fake."""
    return FrontendSettings(
        slack_signing_secret=SIGNING_SECRET,
        dashboard_secret_keys=DASHBOARD_SECRET_KEY,  # type: ignore[arg-type]
        public_url=PUBLIC_URL,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,  # type: ignore[arg-type]
        slack_api_url=fake_slack.base_url,
        slack_openid_jwks_url=openid.jwks_url,
    )


@pytest.fixture
def openid(fake_slack: FakeSlack) -> FakeSlackOpenID:
    return FakeSlackOpenID(fake_slack)


@pytest.fixture
async def data(tmp_path: Path) -> AsyncIterator[DataServiceClient]:
    """The real Data Service (SQLite), where Ada's workspace has installed Jeeves."""
    async with serving_dataservice(tmp_path) as served, aiohttp.ClientSession() as session:
        client = served.client(session, *SCOPES)
        await install_jeeves(client, Person().team_id)
        yield client


async def install_jeeves(
    data: DataServiceClient, team_id: str | None, enterprise_id: str | None = None
) -> None:
    await data.save_installation(
        NewInstallation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=team_id is None,
            bot_user_id="UJEEVES",
            bot_token=SecretStr("xoxb-installed"),
        )
    )


def front_door(settings: FrontendSettings, data: DataServiceClient | None) -> Quart:
    return create_app(settings, bus=MemoryBus(tuple(WORKER_QUEUES.values())), dataservice=data)


@pytest.fixture
async def app(
    fake_slack: FakeSlack, openid: FakeSlackOpenID, data: DataServiceClient
) -> AsyncIterator[Quart]:
    app = front_door(signin_settings(fake_slack, openid), data)
    async with app.test_app():
        yield app


@pytest.fixture
def client(app: Quart) -> Client:
    """One browser (it keeps its cookies)."""
    return app.test_client()


async def leave_for_slack(client: Client, next_path: str | None = None) -> str:
    """Press *Sign in with Slack*: the authorize URL the browser is sent to."""
    query = {"next": next_path} if next_path is not None else {}
    response = await client.get("/dashboard/sign-in/slack", query_string=query, scheme="https")
    assert response.status_code == 302
    return response.headers["Location"]


async def follow(client: Client, redirect: str) -> Response:
    """Follow Slack's redirect back to the front door."""
    parts = urlsplit(redirect)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == REDIRECT_URI
    return await client.get(parts.path, query_string=parse_qs(parts.query), scheme="https")


async def come_back(client: Client, redirect: str) -> tuple[int, str]:
    """Follow Slack's redirect back to the front door: status and page."""
    response = await follow(client, redirect)
    return response.status_code, await response.get_data(as_text=True)


async def test_the_authorize_redirect_asks_slack_for_openid_with_a_fresh_state_and_nonce(
    client: Client,
) -> None:
    first = await client.get("/dashboard/sign-in/slack", scheme="https")
    second = await client.get("/dashboard/sign-in/slack", scheme="https")

    query = parse_qs(urlsplit(first.headers["Location"]).query)
    assert first.headers["Location"].startswith("https://slack.com/openid/connect/authorize?")
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [REDIRECT_URI]
    assert set(query["scope"][0].replace(",", " ").split()) == {"openid", "email", "profile"}
    again = parse_qs(urlsplit(second.headers["Location"]).query)
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert again["state"] != query["state"] and again["nonce"] != query["nonce"]
    cookie = SimpleCookie(first.headers["Set-Cookie"])[COOKIE]
    assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Lax"
    assert cookie["path"] == "/dashboard/oauth_redirect"
    assert 0 < int(cookie["max-age"]) <= 600
    # Neither value can be read back from the cookie by the page: it is signed, not the state.
    assert query["state"][0] not in cookie.value or "." in cookie.value


async def test_signing_in_lands_on_the_dashboard_showing_the_name_and_workspace(
    client: Client, openid: FakeSlackOpenID
) -> None:
    back = await follow(client, openid.approve(await leave_for_slack(client)))
    assert (back.status_code, back.headers["Location"]) == (303, "/dashboard")

    dashboard = await client.get("/dashboard", scheme="https")
    page = await dashboard.get_data(as_text=True)
    assert dashboard.status_code == 200
    assert "Good day, Ada Lovelace." in page
    assert "Analytical Engines" in page
    assert COOKIE not in dashboard.headers.get("Set-Cookie", "")


async def test_the_authorize_url_setting_sends_the_browser_to_that_page(
    fake_slack: FakeSlack, openid: FakeSlackOpenID, data: DataServiceClient
) -> None:
    # JEEVES_SLACK_OPENID_AUTHORIZE_URL: here the fake's consent page, which checks the request
    # as Slack does (the browser tests press its buttons).
    openid.redirect_urls = [REDIRECT_URI]
    settings = signin_settings(fake_slack, openid).model_copy(
        update={"slack_openid_authorize_url": openid.authorize_url}
    )
    app = front_door(settings, data)
    async with app.test_app(), aiohttp.ClientSession() as browser:
        client = app.test_client()
        authorize = await leave_for_slack(client)
        assert authorize.startswith(openid.authorize_url + "?response_type=code&")

        async def at_slack(url: str) -> aiohttp.ClientResponse:
            async with browser.get(url, allow_redirects=False) as response:
                await response.read()
                return response

        for ours, wrong in (
            (f"client_id={CLIENT_ID}", "client_id=9999.0000"),
            (f"redirect_uri={REDIRECT_URI}", "redirect_uri=https://evil.example/oauth_redirect"),
        ):
            refused = await at_slack(authorize.replace(ours, wrong))
            assert refused.status == 400, wrong  # an error page at Slack, no redirect
            assert "Location" not in refused.headers
        asked = parse_qs(urlsplit(authorize).query)
        bad_scope = await at_slack(authorize.replace("scope=openid,", "scope=admin,"))
        assert bad_scope.headers["Location"] == (
            f"{REDIRECT_URI}?error=invalid_scope&state={asked['state'][0]}"
        )

        async with browser.get(authorize) as consent:
            page = await consent.text()
        assert consent.status == 200 and "Ada Lovelace" in page and ">Allow<" in page
        [ticket] = re.findall(r'name="ticket" value="([^"]+)"', page)
        choice = {"ticket": ticket, "choice": "allow"}
        async with browser.post(openid.authorize_url, data=choice, allow_redirects=False) as allow:
            back = allow.headers["Location"]
        async with browser.post(openid.authorize_url, data=choice, allow_redirects=False) as again:
            assert again.status == 400  # the consent page's ticket is single-use
        assert parse_qs(urlsplit(back).query)["state"] == asked["state"]
        signed_in = await follow(client, back)
        assert (signed_in.status_code, signed_in.headers["Location"]) == (303, "/dashboard")
        [token] = openid.issued
        assert jwt.decode(token, options={"verify_signature": False})["nonce"] == asked["nonce"][0]


@pytest.mark.parametrize(
    ("asked", "lands"),
    [
        ("/dashboard?section=reminders", "/dashboard?section=reminders"),
        ("https://evil.example/dashboard", "/dashboard"),
        ("//evil.example/dashboard", "/dashboard"),
    ],
)
async def test_signing_in_returns_to_a_dashboard_page_and_nowhere_else(
    client: Client, openid: FakeSlackOpenID, asked: str, lands: str
) -> None:
    back = await follow(client, openid.approve(await leave_for_slack(client, asked)))
    assert (back.status_code, back.headers["Location"]) == (303, lands)


async def test_the_code_is_exchanged_at_openid_connect_token_with_the_apps_credentials(
    client: Client, fake_slack: FakeSlack, openid: FakeSlackOpenID
) -> None:
    await come_back(client, openid.approve(await leave_for_slack(client)))

    [call] = [c for c in fake_slack.calls if c.method == "openid.connect.token"]
    assert call.body["redirect_uri"] == REDIRECT_URI
    assert call.body["code"]
    assert call.authorization.startswith("Basic ")  # client id and secret, never in the URL
    assert CLIENT_SECRET not in str(call.body)


@pytest.mark.parametrize("flaw", list(Flaw))
async def test_an_id_token_that_cannot_be_trusted_is_refused(
    client: Client, openid: FakeSlackOpenID, flaw: Flaw
) -> None:
    status, page = await come_back(client, openid.approve(await leave_for_slack(client), flaw=flaw))

    assert status == 400
    assert "answer could not be trusted" in page
    assert 'href="/dashboard/sign-in/slack"' in page  # a way to try again
    assert len(openid.issued) == 1  # Slack did answer; the token itself was refused


async def test_cancelling_at_slack_says_so_with_a_way_to_try_again(
    client: Client, fake_slack: FakeSlack, openid: FakeSlackOpenID
) -> None:
    status, page = await come_back(client, openid.deny(await leave_for_slack(client)))

    assert status == 403
    assert "You cancelled the sign-in" in page
    assert 'href="/dashboard/sign-in/slack"' in page
    assert not [c for c in fake_slack.calls if c.method == "openid.connect.token"]


async def test_another_slack_error_is_shown_escaped(client: Client) -> None:
    await leave_for_slack(client)
    response = await client.get(
        "/dashboard/oauth_redirect",
        query_string={"error": "<script>x</script>", "state": "s"},
        scheme="https",
    )
    page = await response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<script>x" not in page and "&lt;script&gt;x" in page


async def test_a_redirect_to_a_browser_that_started_no_sign_in_is_refused(
    app: Quart, client: Client, fake_slack: FakeSlack, openid: FakeSlackOpenID
) -> None:
    redirect = openid.approve(await leave_for_slack(client))
    status, page = await come_back(app.test_client(), redirect)  # another browser

    assert status == 400
    assert "no sign-in in progress in this browser" in page
    assert not [c for c in fake_slack.calls if c.method == "openid.connect.token"]


async def test_a_replayed_redirect_is_refused_even_with_the_old_cookie(
    client: Client, fake_slack: FakeSlack, openid: FakeSlackOpenID
) -> None:
    signin = await client.get("/dashboard/sign-in/slack", scheme="https")
    sealed = SimpleCookie(signin.headers["Set-Cookie"])[COOKIE].value
    redirect = openid.approve(signin.headers["Location"])
    assert (await come_back(client, redirect))[0] == 303

    again = await come_back(client, redirect)  # the browser's cookie is gone: Back, Reload
    client.set_cookie("localhost", COOKIE, sealed, path="/dashboard/oauth_redirect")
    replayed = await come_back(client, redirect)  # an attacker who kept the cookie

    assert again[0] == 400 and "no sign-in in progress" in again[1]
    assert replayed[0] == 400 and "already used" in replayed[1]
    assert len([c for c in fake_slack.calls if c.method == "openid.connect.token"]) == 1


async def test_a_redirect_whose_state_is_not_this_browsers_is_refused(
    client: Client, fake_slack: FakeSlack, openid: FakeSlackOpenID
) -> None:
    mine = await leave_for_slack(client)
    # Someone else's sign-in (login CSRF): their state and code, our browser's cookie.
    theirs = mine.replace("state=", "state=x")
    status, page = await come_back(client, openid.approve(theirs))

    assert status == 400
    assert "no longer valid" in page
    assert not [c for c in fake_slack.calls if c.method == "openid.connect.token"]


async def test_a_redirect_without_a_code_is_refused(client: Client) -> None:
    authorize = await leave_for_slack(client)
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    response = await client.get(
        "/dashboard/oauth_redirect", query_string={"state": state}, scheme="https"
    )
    assert response.status_code == 400
    assert "no sign-in code" in await response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("answer", "status", "says"),
    [
        (Scripted(200, {"ok": False, "error": "invalid_code"}), 400, "could not be trusted"),
        (Scripted(500, {"ok": False, "error": "internal_error"}), 502, "could not be reached"),
        (
            Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}),
            502,
            "reached",
        ),
    ],
)
async def test_a_failed_code_exchange_is_a_page_not_a_crash(
    client: Client,
    fake_slack: FakeSlack,
    openid: FakeSlackOpenID,
    answer: Scripted,
    status: int,
    says: str,
) -> None:
    redirect = openid.approve(await leave_for_slack(client))
    fake_slack.script.append(answer)

    got = await come_back(client, redirect)

    assert got[0] == status and says in got[1]
    assert 'href="/dashboard/sign-in/slack"' in got[1]


async def test_slacks_keys_out_of_reach_is_a_page_not_a_crash(
    fake_slack: FakeSlack, openid: FakeSlackOpenID, data: DataServiceClient
) -> None:
    settings = signin_settings(fake_slack, openid).model_copy(
        update={"slack_openid_jwks_url": fake_slack.base_url.removesuffix("/api/") + "/nokeys"}
    )
    app = front_door(settings, data)
    async with app.test_app():
        client = app.test_client()
        status, page = await come_back(client, openid.approve(await leave_for_slack(client)))

    assert status == 502
    assert "Slack could not be reached" in page


async def test_without_a_slack_app_sign_in_says_it_is_not_configured(
    data: DataServiceClient,
) -> None:
    settings = FrontendSettings(
        slack_signing_secret=SIGNING_SECRET,
        dashboard_secret_keys=DASHBOARD_SECRET_KEY,  # type: ignore[arg-type]
        public_url=PUBLIC_URL,
    )
    app = front_door(settings, data)
    async with app.test_app():
        client = app.test_client()
        start = await client.get("/dashboard/sign-in/slack", scheme="https")
        back = await client.get(
            "/dashboard/oauth_redirect", query_string={"code": "c", "state": "s"}, scheme="https"
        )

        assert start.status_code == back.status_code == 404
        page = await start.get_data(as_text=True)
        assert "Sign in with Slack is not configured" in page
        assert 'href="/dashboard/sign-in/slack"' not in page  # no button that cannot work


async def test_a_person_whose_workspace_has_not_installed_jeeves_is_sent_to_install_it(
    client: Client, openid: FakeSlackOpenID
) -> None:
    stranger = Person(user_id="U0STRANGER", team_id="T0ELSEWHERE", team_name="Difference Co")
    status, page = await come_back(client, openid.approve(await leave_for_slack(client), stranger))

    assert status == 403
    assert "Jeeves is not installed in Difference Co" in page
    assert 'href="/slack/install"' in page


async def test_an_uninstalled_workspace_counts_as_not_installed(
    client: Client, openid: FakeSlackOpenID, data: DataServiceClient
) -> None:
    await data.deactivate_installation(
        InstallationKey(enterprise_id=None, team_id=Person().team_id), reason="app_uninstalled"
    )
    status, page = await come_back(client, openid.approve(await leave_for_slack(client)))

    assert status == 403
    assert 'href="/slack/install"' in page


async def test_a_member_of_an_org_with_an_org_wide_install_may_sign_in(
    client: Client, openid: FakeSlackOpenID, data: DataServiceClient
) -> None:
    await install_jeeves(data, None, enterprise_id="E0GRID")
    member = Person(user_id="U0GRID", team_id="T0GRIDTEAM", enterprise_id="E0GRID")
    status, _ = await come_back(client, openid.approve(await leave_for_slack(client), member))

    assert status == 303


async def test_the_data_service_out_of_reach_is_a_page_not_a_crash(
    fake_slack: FakeSlack, openid: FakeSlackOpenID, tmp_path: Path
) -> None:
    async with serving_dataservice(tmp_path) as served:
        pass
    # The Data Service has stopped: its client now finds nobody at that address.
    async with aiohttp.ClientSession() as session:
        gone = served.client(session, *SCOPES)
        app = front_door(signin_settings(fake_slack, openid), gone)
        async with app.test_app():
            client = app.test_client()
            status, page = await come_back(client, openid.approve(await leave_for_slack(client)))

    assert status == 503
    assert "Jeeves cannot sign you in right now" in page


async def test_leaving_for_slack_is_rate_limited_per_address(client: Client) -> None:
    answers = [(await client.get("/dashboard/sign-in/slack", scheme="https")) for _ in range(11)]

    assert [a.status_code for a in answers] == [302] * 10 + [429]  # the default: 10 a minute
    assert "Too many requests" in await answers[-1].get_data(as_text=True)


@hypothesis_settings(max_examples=60, deadline=None)
@given(
    query=st.dictionaries(st.sampled_from(["code", "state", "error", "x"]), st.text()),
    cookie=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=200),
)
async def test_no_redirect_a_browser_sends_is_a_server_error(
    query: dict[str, str], cookie: str
) -> None:
    async with FakeSlack() as slack:
        openid = FakeSlackOpenID(slack)
        app = front_door(signin_settings(slack, openid), None)
        async with app.test_app():
            client = app.test_client()
            client.set_cookie("localhost", COOKIE, cookie, path="/dashboard/oauth_redirect")
            response = await client.get(
                "/dashboard/oauth_redirect", query_string=query, scheme="https"
            )
            assert 400 <= response.status_code < 500
        assert slack.calls == []


# users.info at sign-in: the person's time zone and Slack roles; a failure still signs them in.

ADA = Person()


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
