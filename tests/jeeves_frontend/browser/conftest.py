"""One Chromium and one ``jeeves dev`` for this package, a fresh page per test.

Package scope, not session: Playwright's sync API keeps its own event loop marked as running
in the main thread while the browser is open, and the async tests that pytest runs after this
package need that thread free. All browser tests live here, so it is still one browser.

Each page records what would show a broken page: script errors, console errors (a
Content-Security-Policy violation is one) and failed requests; a test fails on any of them
unless it expects them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Response

from tests.support.browser import chromium
from tests.support.jeeves_dev import DevServer, dev_env, jeeves_dev

INSTALL_ENV = {
    "JEEVES_SLACK_CLIENT_ID": "1111.2222",
    "JEEVES_SLACK_CLIENT_SECRET": "browser-test-client-secret",
}


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Debian's Chromium (installed with apt when missing), headless."""
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="package")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    """A private ``jeeves dev`` on free ports, shared by the page tests (each test reads only
    the answers to what it says)."""
    folder = tmp_path_factory.mktemp("jeeves-dev")
    # A Slack app's client, for the install pages (nothing here reaches Slack).
    env = {**dev_env(folder), **INSTALL_ENV}
    with jeeves_dev(folder, env) as server:
        yield server


@dataclass
class PageTrouble:
    """What went wrong in a page while a test used it."""

    errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        # Chromium logs every failed request ("Failed to load resource: ..."), which some tests
        # cause on purpose: those are in failed_requests; anything else logged is a fault.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(f"console: {message.text}")

    def on_response(self, response: Response) -> None:
        if response.status >= 400:
            self.failed_requests.append(f"{response.status} {response.url}")


@pytest.fixture
def trouble() -> PageTrouble:
    return PageTrouble()


def open_page(browser: Browser, trouble: PageTrouble, **context: object) -> Page:
    """A page in a new browser context that reports its trouble."""
    page = browser.new_context(**context).new_page()  # type: ignore[arg-type]
    page.set_default_timeout(10_000)
    page.on("pageerror", lambda error: trouble.errors.append(f"pageerror: {error}"))
    page.on("console", trouble.on_console)
    page.on("response", trouble.on_response)
    return page


@pytest.fixture
def page(browser: Browser, trouble: PageTrouble) -> Iterator[Page]:
    """A desktop-sized page; the test fails if the page's script threw or logged an error."""
    page = open_page(browser, trouble, viewport={"width": 1024, "height": 720})
    yield page
    page.context.close()
    assert trouble.errors == []
