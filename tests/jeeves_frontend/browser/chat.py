"""Using the chat page as a person does: open it, type, press Enter, read the answer."""

from __future__ import annotations

import os
from pathlib import Path

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


def shoot(page: Page, name: str) -> None:
    """Save a screenshot of the page as ``<name>.png`` in ``$JEEVES_SCREENSHOTS``, when set:
    a way to look at the page's states (nothing compares them)."""
    if folder := os.environ.get("JEEVES_SCREENSHOTS"):
        page.screenshot(path=str(Path(folder) / f"{name}.png"))
