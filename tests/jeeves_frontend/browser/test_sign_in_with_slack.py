"""Sign in with Slack in a real browser: Chromium through the real front door and Data Service
(a ``jeeves dev`` of its own) and the fake Slack on 127.0.0.1 — its authorize page (the consent
screen with *Allow* and *Cancel*, ``JEEVES_SLACK_OPENID_AUTHORIZE_URL``), ``openid.connect.token``
and its keys. The workspace is installed first through the real install pages.

Covered: signing in (the person's name and workspace on the dashboard), changing a setting,
signing out and in again (the setting kept); cancelling at Slack (a message on the page, and a
way to try again); a workspace that has not installed Jeeves (the page with the install link).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from playwright.sync_api import Browser, Page, Route, expect

from jeeves_frontend.manifest import SIGNIN_REDIRECT_PATH, bot_scopes
from tests.jeeves_frontend.browser.conftest import PageTrouble, open_page
from tests.support.fake_slack import FakeSlack
from tests.support.fake_slack_oauth import CLIENT_ID, CLIENT_SECRET, Grant
from tests.support.fake_slack_openid import FakeSlackOpenID, Person
from tests.support.jeeves_dev import DevServer, dev_env, jeeves_dev

pytestmark = pytest.mark.browser

T = TypeVar("T")
#: Slack's install authorize page (no setting points it elsewhere: the test stands in for it).
INSTALL_AUTHORIZE = "https://slack.com/oauth/v2/authorize"
#: Who signs in: a member of a workspace that installs Jeeves.
ADA = Person()
#: A member of a workspace that has not installed Jeeves.
BERTIE = Person(
    user_id="U0BERTIE1",
    team_id="T0GANYMED",
    name="Bertie Wooster",
    email="bertie@example.com",
    team_name="Ganymede Club",
)


class SlackThread:
    """The fake Slack served on its own thread and event loop: Playwright's sync API holds
    this thread's loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fake-slack", daemon=True)

    def run(self, coroutine: Awaitable[T]) -> T:
        """Run ``coroutine`` on the fake's loop; its result."""

        async def wrapped() -> T:
            return await coroutine

        return asyncio.run_coroutine_threadsafe(wrapped(), self.loop).result(30)


@contextmanager
def fake_slack() -> Iterator[FakeSlackOpenID]:
    """A fake Slack with Sign in with Slack for the fake app's client (the install's too)."""
    runner = SlackThread()
    runner.thread.start()
    try:
        slack = runner.run(FakeSlack().__aenter__())
        try:
            yield FakeSlackOpenID(slack, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
        finally:
            runner.run(slack.__aexit__(None, None, None))
    finally:
        runner.loop.call_soon_threadsafe(runner.loop.stop)
        runner.thread.join(10)
        runner.loop.close()


@pytest.fixture(scope="module")
def openid() -> Iterator[FakeSlackOpenID]:
    with fake_slack() as openid:
        yield openid


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, openid: FakeSlackOpenID
) -> Iterator[DevServer]:
    """``jeeves dev`` with a Slack app whose Slack is the fake."""
    folder = tmp_path_factory.mktemp("jeeves-dev-signin")
    env = dev_env(folder) | {
        "JEEVES_SLACK_CLIENT_ID": CLIENT_ID,
        "JEEVES_SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "JEEVES_SLACK_API_URL": openid.slack.base_url,
        "JEEVES_SLACK_OPENID_JWKS_URL": openid.jwks_url,
        "JEEVES_SLACK_OPENID_AUTHORIZE_URL": openid.authorize_url,
        # Every test here signs in more than once within a minute.
        "JEEVES_DASHBOARD_SIGN_INS_PER_MINUTE": "100",
    }
    # The app lists the dashboard's redirect URL, as the manifest of `jeeves slack manifest` does.
    openid.redirect_urls = [f"http://{env['JEEVES_FRONTEND_BIND']}{SIGNIN_REDIRECT_PATH}"]
    with jeeves_dev(folder, env) as server:
        yield server


@pytest.fixture(scope="module")
def installed(browser: Browser, server: DevServer, openid: FakeSlackOpenID) -> str:
    """Ada's workspace installs Jeeves through the install pages; its name."""
    code = openid.slack.oauth.grant_code(
        Grant(team_id=ADA.team_id, team_name=ADA.team_name, scopes=tuple(bot_scopes()))
    )
    trouble = PageTrouble()
    page = open_page(browser, trouble)

    def allow_at_slack(route: Route) -> None:
        state = parse_qs(urlsplit(route.request.url).query)["state"][0]
        back = f"{server.url}/slack/oauth_redirect?code={code}&state={state}"
        route.fulfill(status=302, headers={"Location": back})

    page.route(INSTALL_AUTHORIZE + "**", allow_at_slack)
    page.goto(f"{server.url}/slack/install")
    page.get_by_role("link", name="Add to Slack").click()
    expect(
        page.get_by_role("heading", name=f"Jeeves is installed in {ADA.team_name}")
    ).to_be_visible()
    page.context.close()
    assert trouble.errors == [] and trouble.failed_requests == []
    return ADA.team_name


@pytest.fixture
def at_slack(openid: FakeSlackOpenID) -> Iterator[FakeSlackOpenID]:
    """The fake with Ada signed in to Slack in the browser."""
    openid.signed_in = ADA
    # What users.info answers for them, should the front door ask (time zone, admin).
    openid.slack.users.setdefault(ADA.user_id, {"tz": "Europe/London", "is_admin": False})
    openid.slack.users.setdefault(BERTIE.user_id, {"tz": "Europe/London", "is_admin": False})
    yield openid
    openid.signed_in = ADA


def sign_in_with_slack(page: Page, server: DevServer, person: Person) -> None:
    """From the dashboard's sign-in page to Slack's consent screen for ``person``."""
    page.goto(f"{server.url}/dashboard")
    page.get_by_role("link", name="Sign in with Slack").click()
    expect(page.get_by_role("heading", name=f"Sign in to {person.team_name}")).to_be_visible()
    expect(page.get_by_text(person.name)).to_be_visible()


def test_a_person_signs_in_with_slack_changes_a_setting_signs_out_and_back_in(
    page: Page, server: DevServer, at_slack: FakeSlackOpenID, installed: str, trouble: PageTrouble
) -> None:
    issued_before = len(at_slack.issued)
    sign_in_with_slack(page, server, ADA)
    page.get_by_role("button", name="Allow").click()
    expect(page.get_by_role("heading", name=f"Good day, {ADA.name}.")).to_be_visible()
    expect(page.get_by_text(installed).first).to_be_visible()
    assert urlsplit(page.url).path == "/dashboard"

    page.get_by_label("Location").fill("Lisbon")
    page.get_by_role("button", name="Save weather settings").click()
    expect(page.locator("#profile .status")).to_have_text("Saved.")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in with Slack")).to_be_visible()
    page.goto(f"{server.url}/dashboard")  # the old session is over
    expect(page.get_by_role("link", name="Sign in with Slack")).to_be_visible()

    sign_in_with_slack(page, server, ADA)
    page.get_by_role("button", name="Allow").click()
    expect(page.get_by_role("heading", name=f"Good day, {ADA.name}.")).to_be_visible()
    expect(page.get_by_label("Location")).to_have_value("Lisbon")
    assert trouble.failed_requests == []
    # Each sign-in had its own nonce, and Slack's id_token carried it.
    first, second = (
        jwt.decode(token, options={"verify_signature": False})
        for token in at_slack.issued[issued_before:]
    )
    assert first["nonce"] and first["nonce"] != second["nonce"]
    assert at_slack.choices[-2:] == ["allow", "allow"]


def test_cancelling_at_slack_says_so_and_offers_to_try_again(
    page: Page, server: DevServer, at_slack: FakeSlackOpenID, installed: str, trouble: PageTrouble
) -> None:
    sign_in_with_slack(page, server, ADA)
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("heading", name="You cancelled the sign-in")).to_be_visible()
    expect(page.locator("p.message.error")).to_have_text("Slack did not sign you in.")
    assert trouble.failed_requests == [f"403 {page.url}"]
    assert "error=access_denied" in page.url

    page.get_by_role("link", name="Try signing in again").click()
    expect(page.get_by_role("heading", name=f"Sign in to {ADA.team_name}")).to_be_visible()
    page.get_by_role("button", name="Allow").click()
    expect(page.get_by_role("heading", name=f"Good day, {ADA.name}.")).to_be_visible()


def test_a_workspace_without_jeeves_gets_the_page_with_the_install_link(
    browser: Browser, server: DevServer, at_slack: FakeSlackOpenID, trouble: PageTrouble
) -> None:
    at_slack.signed_in = BERTIE
    page = open_page(browser, trouble, viewport={"width": 1024, "height": 720})
    sign_in_with_slack(page, server, BERTIE)
    page.get_by_role("button", name="Allow").click()
    heading = f"Jeeves is not installed in {BERTIE.team_name}"
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.locator("p.message.notice")).to_contain_text(f"Hello {BERTIE.name}.")
    assert trouble.failed_requests == [f"403 {page.url}"]

    page.get_by_role("link", name="Add Jeeves to Slack").click()
    expect(page.get_by_role("heading", name="Add Jeeves to your Slack workspace")).to_be_visible()
    page.goto(f"{server.url}/dashboard")  # not signed in
    expect(page.get_by_role("link", name="Sign in with Slack")).to_be_visible()
    page.context.close()
    assert trouble.errors == []
