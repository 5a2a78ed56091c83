"""The ``jeeves dev`` chat page in a real browser, against a real ``jeeves dev``."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.jeeves_frontend.browser.chat import ROWS, open_chat, say, shoot
from tests.jeeves_frontend.browser.conftest import PageTrouble, open_page
from tests.support.jeeves_dev import DevServer, jeeves_dev

pytestmark = pytest.mark.browser

SCRIPT = "<script>window.injected = 'script'</script>"
IMAGE = "<img src=x onerror=\"window.injected = 'img'\">"


def test_the_first_screen_welcomes_and_its_examples_can_be_sent(
    page: Page, dev_server: DevServer, trouble: PageTrouble
) -> None:
    response = page.goto(dev_server.url)
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_role("heading", name="Good day. I am Jeeves.")).to_be_visible()
    examples = page.locator("button.example")
    assert examples.count() >= 5
    expect(page.get_by_label("Message Jeeves")).to_be_focused()

    rows = page.locator(ROWS).count()
    page.get_by_role("button", name="help", exact=True).click()
    expect(page.locator(ROWS).nth(rows + 1)).to_contain_text("Here is what I can do:")
    expect(page.locator("#text")).to_have_value("")
    # The icon, the style sheet and the scripts all loaded (no 404, no CSP refusal).
    assert trouble.failed_requests == []
    icon = page.evaluate("fetch(document.querySelector('link[rel=icon]').href).then(r => r.status)")
    assert icon == 200


def test_answers_show_what_slack_would_show(page: Page, dev_server: DevServer) -> None:
    open_chat(page, dev_server.url)
    answer = say(page, "set location AT&T Park <!channel>")
    expect(answer).to_have_text("Got it: you are in AT&T Park <!channel>.")

    answer = say(page, "help")
    items = answer.locator("ul > li")
    assert items.count() >= 5
    expect(items.first.locator("code")).to_have_text("help [command]")

    say(page, "*bold* _italic_ ~struck~ `code` AT&T")
    mine = page.locator(ROWS).nth(page.locator(ROWS).count() - 2).locator(".text")
    expect(mine.locator("strong")).to_have_text("bold")
    expect(mine.locator("em")).to_have_text("italic")
    expect(mine.locator("del")).to_have_text("struck")
    expect(mine.locator("code")).to_have_text("code")
    expect(mine).to_have_text("bold italic struck code AT&T")


@pytest.mark.parametrize("payload", [SCRIPT, IMAGE])
@pytest.mark.parametrize(
    "said",
    [
        "{}",
        "set location {}",
        "config set note {}",
        "remind me in 10 minutes to {}",
        "help {}",
    ],
)
def test_what_a_person_types_is_shown_never_run(
    page: Page, dev_server: DevServer, said: str, payload: str
) -> None:
    open_chat(page, dev_server.url)
    text = said.format(payload)
    answer = say(page, text)
    mine = page.locator(ROWS).nth(page.locator(ROWS).count() - 2)
    expect(mine.locator(".text")).to_have_text(text)
    assert page.locator("#log script, #log img").count() == 0
    assert page.evaluate("window.injected") is None
    # What the answer quotes of the payload shows as the characters typed.
    expect(answer).to_contain_text(re.compile(r"<(script|img)\b"))


def test_an_error_shows_next_to_the_input_and_keeps_the_text(
    page: Page, dev_server: DevServer
) -> None:
    open_chat(page, dev_server.url)
    for n in range(12):  # enough history that the log scrolls
        say(page, f"help weather {n}")

    def refuse(route: Route) -> None:
        if route.request.method != "POST":
            route.fallback()
        else:
            route.fulfill(status=422, json={"error": "invalid_message", "detail": []})

    page.route("**/dev/chat/messages*", refuse)
    page.fill("#text", "weather in Lyon")
    page.press("#text", "Enter")
    error = page.get_by_role("alert")
    expect(error).to_have_text(re.compile("could not read that message"))
    expect(error).not_to_contain_text("invalid_message")
    expect(page.locator("#text")).to_have_value("weather in Lyon")
    expect(page.locator("#text")).to_have_attribute("aria-invalid", "true")
    assert_right_above_the_input(page, "#error")

    page.unroute("**/dev/chat/messages*")
    answer = say(page, "weather in Lyon")
    expect(error).to_be_hidden()
    expect(page.locator("#text")).to_have_value("")
    expect(answer).to_be_visible()


def test_an_error_page_or_a_network_failure_is_told_in_words(
    page: Page, dev_server: DevServer
) -> None:
    open_chat(page, dev_server.url)

    def proxy_error(route: Route) -> None:
        if route.request.method != "POST":
            route.fallback()
        else:
            route.fulfill(status=502, content_type="text/html", body="<h1>Bad Gateway</h1>")

    page.route("**/dev/chat/messages*", proxy_error)
    page.fill("#text", "weather")
    page.press("#text", "Enter")
    expect(page.get_by_role("alert")).to_have_text(re.compile(r"HTTP 502.*kept"))
    page.unroute("**/dev/chat/messages*")

    page.route(
        "**/dev/chat/messages*",
        lambda route: route.abort() if route.request.method == "POST" else route.fallback(),
    )
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text(re.compile("Could not reach Jeeves"))
    expect(page.locator("#text")).to_have_value("weather")


def test_a_phone_screen_does_not_overflow(
    browser: Browser, dev_server: DevServer, trouble: PageTrouble
) -> None:
    phone = open_page(
        browser,
        trouble,
        viewport={"width": 390, "height": 844},
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
    )
    open_chat(phone, dev_server.url)
    say(phone, "help")
    say(phone, "set location " + "Llanfairpwllgwyngyll" * 8)
    say(phone, "https://example.com/" + "a-very-long-path/" * 12)
    widths = phone.evaluate(
        "[document.documentElement.scrollWidth, document.querySelector('main').scrollWidth]"
    )
    assert max(widths) <= 390
    box = phone.locator("#send").bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 390
    phone.context.close()
    assert trouble.errors == []


def test_it_can_be_used_with_the_keyboard_alone(page: Page, dev_server: DevServer) -> None:
    open_chat(page, dev_server.url)
    page.evaluate("document.activeElement.blur()")
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "text":
            break
    expect(page.locator("#text")).to_be_focused()

    rows = page.locator(ROWS).count()
    page.keyboard.type("get location")
    page.keyboard.press("Enter")
    expect(page.locator(ROWS).nth(rows + 1)).to_have_class("msg from-jeeves")

    page.keyboard.press("Tab")
    send = page.locator("#send")
    expect(send).to_be_focused()
    ring = send.evaluate(
        "b => { const s = getComputedStyle(b);"
        " return [b.matches(':focus-visible'), s.outlineStyle, parseFloat(s.outlineWidth)] }"
    )
    assert ring[0] is True
    assert ring[1] == "solid"
    assert ring[2] >= 2


def test_a_stopped_server_is_noticed_and_a_restarted_one_found_again(
    page: Page, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("jeeves-dev-restart")
    with jeeves_dev(folder) as server:
        open_chat(page, server.url)
        say(page, "help")
        page.wait_for_timeout(300)  # the long poll is waiting in the server now
        server.process.terminate()
        status = page.get_by_role("status")
        expect(status).to_contain_text("not answering", timeout=8_000)

        page.fill("#text", "where am i")
        page.press("#text", "Enter")
        expect(page.get_by_role("alert")).to_contain_text("Could not reach Jeeves")
        expect(page.locator("#text")).to_have_value("where am i")
        assert server.process.wait(30) == 0
        # The heartbeat must not be what notices the restart: messages may come first.
        page.route("**/healthz", lambda route: route.abort())

    with jeeves_dev(folder, env=server.env) as again:
        # Someone (a terminal's `jeeves chat`) talks to the new jeeves dev before the page
        # hears from it: ids 1 and 2 again, no more than the page had already seen.
        assert ask(again, "config show")["sender"] == "jeeves"
        page.unroute("**/healthz")
        expect(status).to_contain_text("Back in touch", timeout=10_000)
        note = page.locator("#log .note")
        expect(note).to_contain_text("Jeeves restarted")
        after_note = page.locator("#log .note ~ li.msg")
        expect(after_note.first.locator(".text")).to_have_text("config show")
        expect(after_note.nth(1)).to_have_class("msg from-jeeves")
        shoot(page, "restarted")
        answer = say(page, "where am i")
        expect(answer).to_be_visible()
        expect(page.get_by_role("alert")).to_be_hidden()
        assert again.url == server.url


def ask(server: DevServer, text: str) -> dict[str, object]:
    """Post ``text`` as another client would; Jeeves' answer, once it is in the log."""
    sent = urllib.request.Request(
        f"{server.url}/dev/chat/messages",
        data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(sent, timeout=10) as response:
        after = json.load(response)["message"]["id"]
    polled = f"{server.url}/dev/chat/messages?after={after}&wait=10"
    with urllib.request.urlopen(polled, timeout=15) as response:
        answer: dict[str, object] = json.load(response)["messages"][0]
    return answer


def assert_right_above_the_input(page: Page, selector: str) -> None:
    """``selector`` is in view, just above the input, whatever the scroll of the history."""
    shown = page.locator(selector).bounding_box()
    field = page.locator("#text").bounding_box()
    viewport = page.viewport_size
    assert shown is not None and field is not None and viewport is not None
    assert shown["y"] >= 0 and field["y"] + field["height"] <= viewport["height"]
    assert 0 <= field["y"] - (shown["y"] + shown["height"]) <= 40


def test_a_message_resent_after_a_lost_answer_is_acted_on_once(
    page: Page, dev_server: DevServer
) -> None:
    open_chat(page, dev_server.url)
    keys: list[str | None] = []

    def deliver_then_lose_the_answer(route: Route) -> None:
        if route.request.method != "POST":
            route.fallback()
            return
        keys.append(route.request.header_value("idempotency-key"))
        route.fetch()  # Jeeves gets the message and acts on it...
        route.abort()  # ...but its answer never reaches the page (as after a send timeout)

    text = "remind me in 10 minutes to water the fern 7Q"
    page.route("**/dev/chat/messages*", deliver_then_lose_the_answer)
    page.fill("#text", text)
    page.press("#text", "Enter")
    error = page.get_by_role("alert")
    expect(error).to_have_text(re.compile("Could not reach Jeeves.*kept.*only once"))
    expect(page.locator("#text")).to_have_value(text)
    shoot(page, "unreachable")
    page.unroute("**/dev/chat/messages*")

    page.get_by_role("button", name="Send", exact=True).click()  # as the page says to
    expect(error).to_be_hidden()
    expect(page.locator("#text")).to_have_value("")
    answer = say(page, "reminders")
    expect(answer).to_contain_text("water the fern 7Q")
    assert answer.inner_text().count("water the fern 7Q") == 1
    mine = page.locator(f"{ROWS}.from-you .text", has_text=text)
    expect(mine).to_have_count(1)
    # One key for the message, the same on its resend; the next message has its own.
    sent_again = page.evaluate(
        "fetch('/dev/chat/messages', {method: 'POST', body: JSON.stringify({text: 'help'}),"
        f" headers: {{'Content-Type': 'application/json', 'Idempotency-Key': '{keys[0]}'}}}})"
        ".then(r => r.status)"
    )
    assert keys[0] is not None and re.fullmatch("[0-9a-f]{32}", keys[0])
    assert sent_again == 422  # that key belongs to the reminder, not to another text


def test_typing_is_held_while_a_message_is_sent_and_kept_if_it_fails(
    page: Page, dev_server: DevServer
) -> None:
    open_chat(page, dev_server.url)
    held: list[Route] = []

    def hold(route: Route) -> None:
        if route.request.method != "POST":
            route.fallback()
        else:
            held.append(route)  # answered below, as a slow server would

    page.route("**/dev/chat/messages*", hold)
    page.fill("#text", "config set q3 first")
    page.press("#text", "Enter")
    expect(page.locator("#text")).not_to_be_editable()
    send = page.locator("#send")
    expect(send).to_have_text("Sending…")
    expect(send).to_be_disabled()
    shoot(page, "sending")
    page.keyboard.type("config set q4 second")
    page.keyboard.press("Enter")
    expect(page.locator("#text")).to_have_value("config set q3 first")
    assert len(held) == 1

    held[0].fallback()  # the slow server answers at last
    page.unroute("**/dev/chat/messages*")
    expect(page.locator("#text")).to_have_value("")
    expect(send).to_have_text("Send")
    expect(page.locator("#text")).to_be_focused()
    expect(page.locator(f"{ROWS}.from-jeeves .text", has_text="q3 is now")).to_have_count(1)
    answer = say(page, "config set q4 second")
    expect(answer).to_contain_text("q4")
    expect(page.locator(f"{ROWS}.from-you .text", has_text="q3 first")).to_have_count(1)

    page.route("**/dev/chat/messages*", hold)
    page.fill("#text", "config set q5 third")
    page.press("#text", "Enter")
    expect(send).to_be_disabled()
    held[1].abort()
    page.unroute("**/dev/chat/messages*")
    expect(page.get_by_role("alert")).to_contain_text("Could not reach Jeeves")
    expect(page.locator("#text")).to_have_value("config set q5 third")
    expect(page.locator("#text")).to_be_editable()


def test_too_long_a_message_is_told_with_the_limit(page: Page, dev_server: DevServer) -> None:
    open_chat(page, dev_server.url)
    # The input cuts at 4000; a client without that limit (or an edited page) still gets words.
    page.evaluate("document.querySelector('#text').removeAttribute('maxlength')")
    page.fill("#text", "config set long " + "x" * 4100)
    page.press("#text", "Enter")
    error = page.get_by_role("alert")
    expect(error).to_have_text(re.compile("too long.*at most 4,000 characters.*4,116"))
    shoot(page, "too-long")
    expect(page.locator("#text")).to_have_value(re.compile("x{4100}$"))


def test_a_paste_cut_by_the_input_limit_is_told(browser: Browser, dev_server: DevServer) -> None:
    trouble = PageTrouble()
    page = open_page(browser, trouble, permissions=["clipboard-read", "clipboard-write"])
    open_chat(page, dev_server.url)
    page.fill("#text", "set location ")
    page.evaluate("navigator.clipboard.writeText('Paris '.repeat(1000))")
    page.focus("#text")
    page.keyboard.press("Control+V")
    expect(page.locator("#text")).to_have_value(re.compile("^set location (Paris )+P?a?r?i?s?$"))
    assert len(page.locator("#text").input_value()) == 4000
    expect(page.get_by_role("alert")).to_have_text(re.compile("cut to fit.*4,000 characters"))
    shoot(page, "paste-cut")

    page.fill("#text", "")
    page.keyboard.press("Control+V")  # 6000 into an empty input: cut as well
    expect(page.get_by_role("alert")).to_contain_text("cut to fit")
    page.fill("#text", "")
    page.evaluate("navigator.clipboard.writeText('Paris')")
    page.keyboard.press("Control+V")  # fits: nothing to say
    expect(page.locator("#text")).to_have_value("Paris")
    expect(page.get_by_role("alert")).to_be_hidden()
    page.context.close()
    assert trouble.errors == []


def test_an_example_is_sent_without_losing_the_draft(page: Page, dev_server: DevServer) -> None:
    open_chat(page, dev_server.url)
    page.fill("#text", "set location Reykjav")
    rows = page.locator(ROWS).count()
    page.get_by_role("button", name="config show", exact=True).click()
    expect(page.locator(ROWS).nth(rows)).to_have_text(re.compile("config show"))
    expect(page.locator(ROWS).nth(rows + 1)).to_have_class("msg from-jeeves")
    expect(page.locator("#text")).to_have_value("set location Reykjav")
    expect(page.locator("#text")).to_be_focused()

    page.route(
        "**/dev/chat/messages*",
        lambda route: route.abort() if route.request.method == "POST" else route.fallback(),
    )
    page.get_by_role("button", name="help", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Click the example again")
    shoot(page, "example-beside-draft")
    expect(page.locator("#text")).to_have_value("set location Reykjav")
