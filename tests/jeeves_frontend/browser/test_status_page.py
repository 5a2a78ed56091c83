"""``jeeves dev``'s status page in a real browser: it shows the numbers and follows them."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from tests.jeeves_frontend.browser.conftest import PageTrouble
from tests.support.jeeves_dev import DevServer

pytestmark = pytest.mark.browser


def test_the_status_page_shows_and_follows_what_happens(
    page: Page, dev_server: DevServer, trouble: PageTrouble
) -> None:
    response = page.goto(f"{dev_server.url}/dev/status")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator("#connection")).to_contain_text("Updated")
    actions = int(page.locator("#actions").inner_text())
    dev_server.chat(json.dumps({"text": "help"}).encode())

    expect(page.locator("#actions")).to_have_text(str(actions + 1))
    help_row = page.locator("#handled tr", has=page.locator("th", has_text="help"))
    expect(help_row).to_be_visible()
    expect(page.locator("#depths tr", has_text="jeeves.help")).to_contain_text("0")
    expect(page.locator("#no-failures")).to_be_visible()
    assert trouble.failed_requests == []
