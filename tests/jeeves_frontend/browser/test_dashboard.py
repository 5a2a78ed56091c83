"""The dashboard in a real browser, against a real ``jeeves dev`` (with a fake weather
provider): sign in as the dev user, change settings that the chat then uses, reminders, a
phone's screen, the keyboard alone, signing out and back."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.jeeves_frontend.browser.chat import open_chat, say, shoot
from tests.jeeves_frontend.browser.conftest import PageTrouble, open_page
from tests.support.fake_weather import FakeWeather
from tests.support.jeeves_dev import DevServer, dev_env, jeeves_dev

pytestmark = pytest.mark.browser


@contextmanager
def fake_weather() -> Iterator[FakeWeather]:
    """The fake provider on its own thread and loop (Playwright's sync API holds this one)."""
    loop = asyncio.new_event_loop()
    weather = FakeWeather()
    started = threading.Event()

    def run() -> None:
        loop.run_until_complete(weather.__aenter__())
        started.set()
        loop.run_forever()
        loop.run_until_complete(weather.__aexit__(None, None, None))
        loop.close()

    thread = threading.Thread(target=run, name="fake-weather", daemon=True)
    thread.start()
    assert started.wait(10)
    try:
        yield weather
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    """``jeeves dev`` whose weather comes from the fake provider."""
    folder = tmp_path_factory.mktemp("jeeves-dev-dashboard")
    with fake_weather() as weather:
        env = dev_env(folder) | {
            "JEEVES_WEATHER_API_URL": weather.base_url,
            "JEEVES_WEATHER_API_KEY": weather.api_key,
        }
        with jeeves_dev(folder, env=env) as server:
            yield server


def sign_in(page: Page, server: DevServer) -> None:
    page.goto(f"{server.url}/dashboard")
    page.get_by_role("button", name="Sign in as a dev user").click()
    expect(page.get_by_role("heading", name="Good day, Dev User.")).to_be_visible()


def test_settings_made_on_the_dashboard_are_what_weather_uses_in_the_chat(
    page: Page, server: DevServer, trouble: PageTrouble
) -> None:
    page.goto(server.url)
    page.get_by_role("link", name="Your settings: dashboard").click()
    page.get_by_role("button", name="Sign in as a dev user").click()
    expect(page.get_by_text("jeeves dev", exact=False).first).to_be_visible()

    page.get_by_label("Location").fill("Paris")
    page.get_by_label("Imperial (°F, mph)").check()
    page.get_by_label("Time zone").fill("Europe/Paris")
    page.get_by_role("button", name="Save weather settings").click()
    expect(page.locator("#profile .status")).to_have_text("Saved.")
    # htmx settles and indicates without inline style, which the CSP would refuse (logged).
    assert trouble.errors == []
    shoot(page, "dashboard")

    open_chat(page, server.url)
    answer = say(page, "weather")
    expect(answer).to_contain_text("Paris, FR")
    expect(answer).to_contain_text("°F")
    # And the other way round: what the chat changes, the dashboard shows.
    say(page, "set location Berlin")
    page.goto(f"{server.url}/dashboard")
    expect(page.get_by_label("Location")).to_have_value("Berlin")
    assert trouble.failed_requests == []


def test_a_reminder_is_created_refused_when_past_and_cancelled(
    page: Page, server: DevServer
) -> None:
    sign_in(page, server)
    page.get_by_label("Remind me to").fill("water the ferns")
    page.get_by_label("Date").fill("2020-01-01")
    page.get_by_label(re.compile(r"^Time \(")).fill("09:00")
    page.get_by_role("button", name="Add reminder").click()
    expect(page.locator("#reminders .field-error")).to_contain_text("That time has passed")
    expect(page.get_by_label("Remind me to")).to_have_value("water the ferns")

    page.get_by_label("Date").fill("2031-06-01")
    page.get_by_role("button", name="Add reminder").click()
    expect(page.locator("#reminders .status")).to_have_text("Reminder set.")
    upcoming = page.get_by_role("list", name="Upcoming reminders")
    expect(upcoming).to_contain_text("water the ferns")
    expect(upcoming).to_contain_text("01 Jun 2031, 09:00")

    page.get_by_role("button", name="Cancel reminder: water the ferns").click()
    expect(page.locator("#reminders .status")).to_have_text("Reminder cancelled.")
    expect(page.get_by_role("list", name="Recent reminders")).to_contain_text("cancelled")
    expect(page.get_by_role("list", name="Upcoming reminders")).to_have_count(0)


def test_a_phone_screen_shows_everything_without_sideways_scrolling(
    browser: Browser, server: DevServer, trouble: PageTrouble
) -> None:
    phone = open_page(
        browser, trouble, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    sign_in(phone, server)
    phone.get_by_label("Key").fill("motto")
    phone.get_by_label("Value").fill("Whatho " + "pip" * 60)
    phone.get_by_role("button", name="Set", exact=True).click()
    expect(phone.locator("#config .status")).to_have_text("Set motto.")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    for name in ("Save weather settings", "Add reminder", "Sign out"):
        box = phone.get_by_role("button", name=name).bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390 and box["height"] >= 44
    phone.context.close()
    assert trouble.errors == []


@pytest.mark.parametrize("width", [1280, 390])
def test_a_long_config_value_wraps_in_its_own_cell(
    browser: Browser, server: DevServer, trouble: PageTrouble, width: int
) -> None:
    page = open_page(browser, trouble, viewport={"width": width, "height": 900})
    sign_in(page, server)
    page.get_by_label("Key", exact=True).fill(f"long.value.{width}")
    page.get_by_label("Value", exact=True).fill("x" * 200)
    page.get_by_role("button", name="Set", exact=True).click()
    expect(page.locator("#config .status")).to_have_text(f"Set long.value.{width}.")

    row = page.locator("#config tr", has_text=f"long.value.{width}")
    key = row.locator(".setting-key").bounding_box()
    remove = row.get_by_role("button", name=re.compile("^Remove")).bounding_box()
    line = float(page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight) || 24"))
    assert key is not None and remove is not None
    assert key["width"] >= 7 * 14, key  # the 7rem floor (the root font is at least 14 px)
    assert remove["height"] < 2 * line, remove  # "Remove" on one line
    assert trouble.errors == []
    page.context.close()


def test_the_settings_form_works_with_the_keyboard_alone(page: Page, server: DevServer) -> None:
    sign_in(page, server)
    page.evaluate("document.activeElement.blur()")
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "location":
            break
    expect(page.get_by_label("Location")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("Saint-Étienne")
    before = page.locator("input[name=units]:checked").get_attribute("value")
    page.keyboard.press("Tab")  # the units: a radio group, changed with the arrows
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Time zone")).to_be_focused()
    page.keyboard.press("Enter")  # submits the form from any field

    expect(page.locator("#profile .status")).to_have_text("Saved.")
    expect(page.get_by_label("Location")).to_have_value("Saint-Étienne")
    checked = page.locator("input[name=units]:checked").get_attribute("value")
    assert checked in ("metric", "imperial") and checked != before
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "(() => { const e = document.activeElement; const s = getComputedStyle(e);"
        " return [e.matches(':focus-visible'), s.outlineStyle, parseFloat(s.outlineWidth)] })()"
    )
    assert focused[0] is True and focused[1] == "solid" and focused[2] >= 2


def test_signing_out_ends_the_session_and_signing_back_in_finds_everything(
    page: Page, server: DevServer, tmp_path: Path
) -> None:
    sign_in(page, server)
    page.get_by_label("Location").fill("New York")
    page.get_by_role("button", name="Save weather settings").click()
    expect(page.locator("#profile .status")).to_have_text("Saved.")
    old_cookies = page.context.cookies()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    page.context.add_cookies(old_cookies)  # the old cookie, as someone who copied it would
    page.goto(f"{server.url}/dashboard")
    expect(page.get_by_text("Your session has ended")).to_be_visible()

    page.get_by_role("button", name="Sign in as a dev user").click()
    expect(page.get_by_label("Location")).to_have_value("New York")


def test_the_dev_admin_sees_the_workspace_page_and_switches_its_alerts(
    browser: Browser, server: DevServer, trouble: PageTrouble
) -> None:
    for viewport in ({"width": 1024, "height": 720}, {"width": 390, "height": 844}):
        page = open_page(browser, trouble, viewport=viewport)
        sign_in(page, server)
        page.get_by_role("link", name="Your workspace").click()
        expect(page.get_by_role("heading", name="Your workspace: jeeves dev")).to_be_visible()
        expect(page.locator("#members")).to_contain_text("Dev User")
        switch = page.get_by_label("Send daily weather alerts in this workspace")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

        expect(switch).to_be_checked()
        switch.focus()
        page.keyboard.press("Space")  # the keyboard alone: untick, to Save, press it
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Save")).to_be_focused()
        page.keyboard.press("Enter")
        status = page.locator("#workspace-alerts .status")
        expect(status).to_have_text("Daily alerts are off for everyone in the workspace.")
        # The form was replaced: the keyboard is back on its Save button, not on <body>.
        expect(page.get_by_role("button", name="Save")).to_be_focused()
        page.reload()
        expect(switch).not_to_be_checked()
        switch.check()
        page.get_by_role("button", name="Save").click()
        expect(status).to_have_text("Daily alerts are on for the workspace.")
        page.reload()
        expect(switch).to_be_checked()
        if viewport["width"] > 390:
            shoot(page, "dashboard-workspace")
        page.context.close()
    assert trouble.errors == []
    assert trouble.failed_requests == []
