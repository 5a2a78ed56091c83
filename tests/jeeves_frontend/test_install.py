"""Installing Jeeves in a workspace: ``GET /slack/install`` and ``GET /slack/oauth_redirect``
through the front door's ASGI app, against the fake Slack and the real Data Service (SQLite).
"""

from __future__ import annotations

import asyncio
import base64
import html
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from hypothesis import given
from hypothesis import settings as settings_for_hypothesis
from hypothesis import strategies as st
from quart import Quart

from jeeves_frontend.app import create_app
from jeeves_frontend.install.states import COOKIE, InstallStates
from jeeves_frontend.manifest import bot_scopes
from jeeves_frontend.settings import FrontendSettings
from jeeves_shared.bus.memory import MemoryBus
from jeeves_shared.bus.topology import WORKER_QUEUES
from jeeves_shared.dataclient import FRONTEND_SCOPES, DataServiceClient
from jeeves_shared.dataclient.models import Installation
from jeeves_shared.installations import InstallationKey
from jeeves_shared.runtime.settings import SettingsError
from tests.support.dataservice import ServedData, serving_dataservice
from tests.support.fake_slack import FakeSlack, Scripted
from tests.support.fake_slack_oauth import APP_ID, CLIENT_ID, CLIENT_SECRET, Grant
from tests.support.installations import slack_settings
from tests.support.production import DASHBOARD_SECRET_KEY
from tests.support.slack_requests import SIGNING_SECRET

PUBLIC_URL = "https://jeeves.example.com"
REDIRECT_URI = PUBLIC_URL + "/slack/oauth_redirect"


@dataclass
class Page:
    """One answer of the front door, as a browser sees it."""

    status: int
    text: str
    headers: Any

    @property
    def set_cookie(self) -> str:
        return ", ".join(self.headers.get_all("Set-Cookie"))


@dataclass
class Door:
    """The front door (one replica per app) and what stands behind it."""

    apps: list[Quart]
    slack: FakeSlack
    #: What a worker sees: installations, and their bot tokens.
    data: DataServiceClient
    tokens: DataServiceClient

    async def get(self, path: str, *, cookie: str | None = None, replica: int = 0) -> Page:
        """GET ``path`` as a browser holding ``cookie`` (the install cookie's value)."""
        client = self.apps[replica].test_client(use_cookies=False)
        headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie is not None else {}
        response = await client.get(path, headers=headers, scheme="https")
        return Page(response.status_code, await response.get_data(as_text=True), response.headers)

    async def start(self) -> tuple[str, str, Page]:
        """Open the install page: the authorize URL's ``state``, the cookie set, the page."""
        page = await self.get("/slack/install")
        assert page.status == 200
        [href] = re.findall(r'href="(https://slack\.com/oauth/v2/authorize[^"]*)"', page.text)
        state = parse_qs(urlsplit(html.unescape(href)).query)["state"][0]
        [cookie] = re.findall(rf"{COOKIE}=([^;]+);", page.set_cookie)
        return state, cookie, page

    async def back_from_slack(self, query: str, *, cookie: str | None, replica: int = 0) -> Page:
        return await self.get(f"/slack/oauth_redirect?{query}", cookie=cookie, replica=replica)

    def slack_calls(self, method: str) -> list[Any]:
        return [call for call in self.slack.calls if call.method == method]


def settings(slack: FakeSlack, **changes: Any) -> FrontendSettings:
    values: dict[str, Any] = {
        "slack_signing_secret": SIGNING_SECRET,
        "dashboard_secret_keys": DASHBOARD_SECRET_KEY,
        "slack_client_id": CLIENT_ID,
        "slack_client_secret": CLIENT_SECRET,
        "public_url": PUBLIC_URL,
        "slack_api_url": slack.base_url,
        **changes,
    }
    return FrontendSettings(**values)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
async def served(tmp_path: Path, slack: FakeSlack) -> AsyncIterator[ServedData]:
    """The Data Service, refreshing rotating tokens at the fake Slack."""
    async with serving_dataservice(tmp_path, **slack_settings(slack)) as served:
        yield served


@pytest.fixture
async def door(served: ServedData, slack: FakeSlack) -> AsyncIterator[Door]:
    """Two replicas of the front door sharing one Data Service, as in production."""
    async with aiohttp.ClientSession() as session:
        apps = [
            create_app(
                settings(slack),
                bus=MemoryBus(tuple(WORKER_QUEUES.values())),
                dataservice=served.client(session, *FRONTEND_SCOPES),
            )
            for _ in range(2)
        ]
        async with apps[0].test_app(), apps[1].test_app():
            data = served.client(session, "installations:read")
            yield Door(apps, slack, data, served.client(session, "installations:token"))


def grant(slack: FakeSlack, **fields: Any) -> str:
    """What Slack's consent screen does when an admin allows Jeeves: a one-time code for an
    install of Acme (tokens that do not expire) unless ``fields`` say otherwise."""
    values: dict[str, Any] = {
        "team_id": "T0ACME",
        "team_name": "Acme",
        "scopes": tuple(bot_scopes()),
        "rotating": False,
        **fields,
    }
    return slack.oauth.grant_code(Grant(**values))


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def test_install_page_sends_the_browser_to_slack_with_a_bound_state(door: Door) -> None:
    state, cookie, page = await door.start()
    [href] = re.findall(r'href="(https://slack\.com/oauth/v2/authorize[^"]*)"', page.text)
    query = parse_qs(urlsplit(html.unescape(href)).query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"] == [",".join(bot_scopes())]
    assert query["redirect_uri"] == [REDIRECT_URI]
    assert "user_scope" not in query  # installs ask for bot scopes only
    assert state == cookie
    attributes = {part.strip().lower() for part in page.set_cookie.split(";")}
    assert {"secure", "httponly", "path=/slack/oauth_redirect", "samesite=lax"} <= attributes
    assert "max-age=600" in attributes
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "<script" not in page.text and " style=" not in page.text  # nothing inline
    assert page.headers["Cache-Control"] == "no-store"


async def test_happy_path_saves_the_installation_and_says_where(door: Door) -> None:
    state, cookie, _ = await door.start()
    code = grant(door.slack)
    page = await door.back_from_slack(f"code={code}&state={state}", cookie=cookie)
    assert page.status == 200
    assert "Jeeves is installed in Acme" in page.text
    assert "/invite @Jeeves" in page.text and "help" in page.text
    assert 'href="/dashboard"' in page.text
    assert f"{COOKIE}=;" in page.set_cookie  # the one-time cookie is gone
    [access] = door.slack_calls("oauth.v2.access")
    assert access.authorization == basic(CLIENT_ID, CLIENT_SECRET)
    assert (access.body["code"], access.body["redirect_uri"]) == (code, REDIRECT_URI)
    [who] = door.slack_calls("auth.test")
    [token] = door.slack.oauth.tokens
    assert who.authorization == f"Bearer {token}"
    saved = await door.data.find_installation(InstallationKey(None, "T0ACME"))
    assert saved is not None and saved.active
    assert _identity(saved) == ("UJEEVESBOT", "BJEEVESBOT", APP_ID, "U0INSTALLER")
    assert saved.bot_scopes == bot_scopes()
    fresh = await door.tokens.fresh_bot_token(saved_key(saved), valid_for=timedelta(hours=1))
    assert (fresh.token, fresh.expires_at) == (token, None)


def saved_key(saved: Installation) -> InstallationKey:
    return InstallationKey(saved.enterprise_id, saved.team_id, saved.is_enterprise_install)


async def test_with_token_rotation_the_refresh_token_and_expiry_are_kept(door: Door) -> None:
    state, cookie, _ = await door.start()
    installed = Grant(team_id="T0ACME", scopes=tuple(bot_scopes()), rotating=True, expires_in=1800)
    code = door.slack.oauth.grant_code(installed)
    page = await door.back_from_slack(f"code={code}&state={state}", cookie=cookie)
    assert page.status == 200
    [token] = door.slack.oauth.tokens
    key = InstallationKey(None, "T0ACME")
    fresh = await door.tokens.fresh_bot_token(key, valid_for=timedelta(minutes=10))
    assert fresh.token == token and token.startswith("xoxe.xoxb-")
    assert fresh.expires_at is not None
    left = fresh.expires_at - datetime.now(UTC)
    assert timedelta(minutes=25) < left <= timedelta(minutes=30)
    # Asked to last longer than it will, the Data Service refreshes it with the refresh token
    # stored at install (single-use at Slack).
    installed.expires_in = 43_200
    renewed = await door.tokens.fresh_bot_token(key, valid_for=timedelta(hours=1))
    assert renewed.token != token
    assert len(door.slack.oauth.refreshes) == 1 and door.slack.oauth.refusals == []


def _identity(saved: Installation) -> tuple[str | None, ...]:
    return (saved.bot_user_id, saved.bot_id, saved.app_id, saved.installer_user_id)


async def test_org_wide_install_is_saved_without_a_team(door: Door) -> None:
    state, cookie, _ = await door.start()
    code = grant(door.slack, team_id=None, enterprise_id="E0GRID", is_enterprise_install=True)
    page = await door.back_from_slack(f"code={code}&state={state}", cookie=cookie)
    assert page.status == 200
    assert "Jeeves is installed in Drones Holdings" in page.text  # the org's name
    key = InstallationKey("E0GRID", None, is_enterprise_install=True)
    saved = await door.data.find_installation(key)
    assert saved is not None
    assert (saved.enterprise_id, saved.team_id, saved.is_enterprise_install) == (
        "E0GRID",
        None,
        True,
    )
    # Any workspace of the org finds the org-wide install.
    in_org = await door.data.find_installation(InstallationKey("E0GRID", "T0ANY"))
    assert in_org is not None and in_org.is_enterprise_install


async def assert_refused(page: Page, status: int, words: str) -> None:
    assert page.status == status, page.text
    assert words in page.text
    assert 'href="/slack/install">Try again' in page.text
    assert "Traceback" not in page.text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


async def test_refusing_at_slack_ends_on_a_page_to_try_again(door: Door) -> None:
    state, cookie, _ = await door.start()
    page = await door.back_from_slack(f"error=access_denied&state={state}", cookie=cookie)
    await assert_refused(page, 403, "You cancelled at Slack")
    assert door.slack.calls == []


async def test_without_the_cookie_the_redirect_is_refused(door: Door) -> None:
    state, _, _ = await door.start()
    page = await door.back_from_slack(f"code=c0de&state={state}", cookie=None)
    await assert_refused(page, 400, "this browser has no install in progress here")
    assert door.slack.calls == []


async def test_another_browsers_state_is_refused(door: Door) -> None:
    """Someone sends their own redirect link to a victim, whose browser has its own cookie."""
    theirs, _, _ = await door.start()
    _, mine, _ = await door.start()
    page = await door.back_from_slack(f"code=attacker&state={theirs}", cookie=mine)
    await assert_refused(page, 400, "the link was started in another browser")
    assert door.slack.calls == []


async def test_a_used_state_is_refused_on_every_replica(door: Door) -> None:
    state, cookie, _ = await door.start()
    code = grant(door.slack)
    first = await door.back_from_slack(f"code={code}&state={state}", cookie=cookie)
    assert first.status == 200
    for replica in (0, 1):
        again = await door.back_from_slack(
            f"code={code}&state={state}", cookie=cookie, replica=replica
        )
        await assert_refused(again, 400, "the link was already used")
    assert len(door.slack_calls("oauth.v2.access")) == 1


async def test_a_state_older_than_ten_minutes_is_refused(door: Door) -> None:
    eleven_minutes_ago = InstallStates(CLIENT_SECRET, clock=lambda: time.time() - 660)
    state = eleven_minutes_ago.issue()
    page = await door.back_from_slack(f"code=c0de&state={state}", cookie=state)
    await assert_refused(page, 400, "the link is more than 10 minutes old")
    nine_minutes_ago = InstallStates(CLIENT_SECRET, clock=lambda: time.time() - 540)
    state = nine_minutes_ago.issue()
    code = grant(door.slack)
    assert (await door.back_from_slack(f"code={code}&state={state}", cookie=state)).status == 200


async def test_a_state_we_did_not_sign_is_refused(door: Door) -> None:
    forged = InstallStates("another app's secret").issue()
    page = await door.back_from_slack(f"code=c0de&state={forged}", cookie=forged)
    await assert_refused(page, 400, "the link was not made by this Jeeves")


async def test_a_redirect_without_a_code_is_refused(door: Door) -> None:
    state, cookie, _ = await door.start()
    page = await door.back_from_slack(f"state={state}", cookie=cookie)
    await assert_refused(page, 400, "Slack sent no install code")


async def test_slack_refusing_the_code_saves_nothing(door: Door) -> None:
    state, cookie, _ = await door.start()
    page = await door.back_from_slack(f"code=never-granted&state={state}", cookie=cookie)
    await assert_refused(page, 400, "invalid_code")
    assert door.slack_calls("auth.test") == []
    assert await door.data.find_installation(InstallationKey(None, "T0ACME")) is None


async def test_slack_unreachable_is_a_gateway_error_page(door: Door) -> None:
    state, cookie, _ = await door.start()
    door.slack.script.append(Scripted(status=503, body={"ok": False, "error": "unavailable"}))
    page = await door.back_from_slack(f"code=c0de&state={state}", cookie=cookie)
    await assert_refused(page, 502, "Slack could not be reached")


async def test_without_a_client_id_installs_are_not_set_up(slack: FakeSlack) -> None:
    app = create_app(settings(slack, slack_client_id=""), bus=MemoryBus(()))
    client = app.test_client()
    for path in ("/slack/install", "/slack/oauth_redirect?code=x&state=y"):
        response = await client.get(path)
        text = await response.get_data(as_text=True)
        assert response.status_code == 404
        assert "Installing is not set up here" in text and "JEEVES_SLACK_CLIENT_ID" in text


def test_a_client_id_without_its_secret_refuses_to_start() -> None:
    with pytest.raises(SettingsError, match="JEEVES_SLACK_CLIENT_SECRET"):
        create_app(
            FrontendSettings(
                slack_signing_secret=SIGNING_SECRET,
                slack_client_id=CLIENT_ID,
                dashboard_secret_keys=DASHBOARD_SECRET_KEY,  # type: ignore[arg-type]
            ),
            bus=MemoryBus(()),
        )


@settings_for_hypothesis(max_examples=60, deadline=None)
@given(query=st.dictionaries(st.sampled_from(["code", "state", "error", "x"]), st.text()))
async def test_no_redirect_a_browser_sends_is_a_server_error(query: dict[str, str]) -> None:
    async with FakeSlack() as slack:
        app = create_app(settings(slack), bus=MemoryBus(()))
        async with app.test_app():
            client = app.test_client()
            response = await client.get(
                "/slack/oauth_redirect", query_string=query, headers={"Cookie": f"{COOKIE}=x"}
            )
            assert 400 <= response.status_code < 500
        assert slack.calls == []


async def test_one_state_used_at_once_on_two_replicas_installs_once(door: Door) -> None:
    state, cookie, _ = await door.start()
    code = grant(door.slack)
    pages = await asyncio.gather(
        *(
            door.back_from_slack(f"code={code}&state={state}", cookie=cookie, replica=replica)
            for replica in (0, 1)
        )
    )
    assert sorted(page.status for page in pages) == [200, 400]
    assert len(door.slack_calls("oauth.v2.access")) == 1
