"""Using the chat page as a person does: open it, type, press Enter, read the answer."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

ROWS = "#log > li.msg"


def open_chat(page: Page, url: str) -> None:
    """Load the page and wait until the conversation so far is shown."""
    page.goto(url)
    expect(page.locator("#log")).not_to_have_attribute("aria-busy", "true")


def say(page: Page, text: str) -> Locator:
    """Type ``text``, press Enter; Jeeves' answer (the row after the person's own)."""
    before = page.locator(ROWS).count()
    page.fill("#text", text)
    page.press("#text", "Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('#log > li.msg').length >= n", arg=before + 2
    )
    expect(page.locator(ROWS).nth(before)).to_have_class("msg from-you")
    answer = page.locator(ROWS).nth(before + 1)
    expect(answer).to_have_class("msg from-jeeves")
    return answer.locator(".text")
