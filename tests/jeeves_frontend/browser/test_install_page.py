"""The install pages in a real browser, against a real ``jeeves dev``: the state cookie as
Chromium stores and sends it, and a refusal at Slack (Slack's authorize page is stood in for
by a redirect, as Slack answers when the admin cancels)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from jeeves_frontend.install.states import COOKIE
from tests.jeeves_frontend.browser.conftest import PageTrouble
from tests.support.jeeves_dev import DevServer

pytestmark = pytest.mark.browser

AUTHORIZE = "https://slack.com/oauth/v2/authorize"


def install_cookie(page: Page) -> dict[str, object] | None:
    found = [c for c in page.context.cookies() if c["name"] == COOKIE]
    return dict(found[0]) if found else None


def test_the_install_page_sets_a_bound_cookie_and_shows_its_button(
    page: Page, dev_server: DevServer, trouble: PageTrouble
) -> None:
    response = page.goto(f"{dev_server.url}/slack/install")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_role("heading", name="Add Jeeves to your Slack workspace")).to_be_visible()
    button = page.get_by_role("link", name="Add to Slack")
    # The style sheet applied (a file of the package, allowed by the policy): Slack's green.
    expect(button).to_have_css("background-color", "rgb(0, 122, 90)")
    href = button.get_attribute("href") or ""
    assert href.startswith(AUTHORIZE + "?")
    cookie = install_cookie(page)
    assert cookie is not None
    assert cookie["value"] == parse_qs(urlsplit(href).query)["state"][0]
    assert (cookie["httpOnly"], cookie["secure"], cookie["sameSite"]) == (True, True, "Lax")
    assert cookie["path"] == "/slack/oauth_redirect"


def test_cancelling_at_slack_ends_on_a_page_to_try_again(
    page: Page, dev_server: DevServer, trouble: PageTrouble
) -> None:
    page.goto(f"{dev_server.url}/slack/install")

    def cancel_at_slack(route: Route) -> None:
        state = parse_qs(urlsplit(route.request.url).query)["state"][0]
        back = f"{dev_server.url}/slack/oauth_redirect?error=access_denied&state={state}"
        route.fulfill(status=302, headers={"Location": back})

    page.route(AUTHORIZE + "**", cancel_at_slack)
    with page.expect_navigation():
        page.get_by_role("link", name="Add to Slack").click()
    expect(page.get_by_role("heading", name="Jeeves was not installed")).to_be_visible()
    assert install_cookie(page) is None  # this attempt is over
    assert trouble.failed_requests == [f"403 {page.url}"]
    page.get_by_role("link", name="Try again").click()
    expect(page.get_by_role("heading", name="Add Jeeves to your Slack workspace")).to_be_visible()
    assert install_cookie(page) is not None
