"""How the chat page shows Slack mrkdwn (jeeves_frontend/static/mrkdwn.js), in a real browser.

The cases follow Slack's "Formatting text for app surfaces"; the property tests hold for any
text: only harmless elements come out, links only to http(s) and mailto, and nothing a person
typed is lost or invented.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from playwright.sync_api import Browser, Page

from tests.jeeves_frontend.browser.conftest import PageTrouble, open_page
from tests.support.jeeves_dev import DevServer

pytestmark = pytest.mark.browser

LINK = 'rel="noopener noreferrer" target="_blank"'
ALLOWED_TAGS = {"P", "UL", "LI", "BLOCKQUOTE", "PRE", "CODE", "STRONG", "EM", "DEL", "A", "SPAN"}
ALLOWED_ATTRIBUTES = {"href", "rel", "target", "class"}

RENDER = """([text, asTyped]) => {
  const box = document.createElement("div");
  box.append(mrkdwn.renderMrkdwn(asTyped ? mrkdwn.escapeSlack(text) : text));
  const elements = [...box.querySelectorAll("*")];
  return {
    html: box.innerHTML,
    text: box.textContent,
    tags: [...new Set(elements.map((e) => e.tagName))],
    attributes: [...new Set(elements.flatMap((e) => e.getAttributeNames()))],
    hrefs: elements.filter((e) => e.hasAttribute("href")).map((e) => e.getAttribute("href")),
    roundTrip: mrkdwn.decodeEntities(mrkdwn.escapeSlack(text)),
  };
}"""


@pytest.fixture(scope="module")
def renderer(browser: Browser, dev_server: DevServer) -> Iterator[Page]:
    """A page of the front door with the chat page's renderer loaded as ``window.mrkdwn``."""
    trouble = PageTrouble()
    page = open_page(browser, trouble)
    page.goto(f"{dev_server.url}/healthz")
    page.evaluate("import('/static/mrkdwn.js').then((module) => { window.mrkdwn = module })")
    yield page
    page.context.close()
    assert trouble.errors == []


def render(page: Page, text: str, *, as_typed: bool = False) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(RENDER, [text, as_typed])
    return result


@pytest.mark.parametrize(
    ("mrkdwn", "html"),
    [
        ("AT&amp;T Park &lt;!channel&gt;", "<p>AT&amp;T Park &lt;!channel&gt;</p>"),
        ("&amp;lt; stays", "<p>&amp;lt; stays</p>"),
        (
            "*bold* _italic_ ~struck~ `code`",
            "<p><strong>bold</strong> <em>italic</em> <del>struck</del> <code>code</code></p>",
        ),
        ("*_both_*, then.", "<p><strong><em>both</em></strong>, then.</p>"),
        ("snake_case_name, 2*3*4, *open", "<p>snake_case_name, 2*3*4, *open</p>"),
        ("* not bold * and __", "<p>* not bold * and __</p>"),
        ("`*not bold* &lt;x&gt;`", "<p><code>*not bold* &lt;x&gt;</code></p>"),
        (
            "*see <https://x.io/a_b|a_b>*",
            f'<p><strong>see <a href="https://x.io/a_b" {LINK}>a_b</a></strong></p>',
        ),
        ("```\nline 1\n  *line 2*\n```", "<pre>line 1\n  *line 2*</pre>"),
        ("```unclosed *b*", "<p>```unclosed <strong>b</strong></p>"),
        (
            "<https://example.com/a?b=1&amp;c=2|the docs>",
            f'<p><a href="https://example.com/a?b=1&amp;c=2" {LINK}>the docs</a></p>',
        ),
        (
            "<https://example.com>",
            f'<p><a href="https://example.com" {LINK}>https://example.com</a></p>',
        ),
        ("<mailto:a@b.example|write>", f'<p><a href="mailto:a@b.example" {LINK}>write</a></p>'),
        ("<javascript:alert(1)|click>", '<p><span class="link">click</span></p>'),
        (
            "<@U123|jeeves> in <#C1|general>: <!here> <!subteam^S1|@ops> <@U999>",
            '<p><span class="mention">@jeeves</span> in <span class="mention">#general</span>: '
            '<span class="mention">@here</span> <span class="mention">@ops</span> '
            '<span class="mention">@U999</span></p>',
        ),
        (
            "Lists:\n• one\n• *two*\n- three\n-5 is not one",
            "<p>Lists:</p><ul><li>one</li><li><strong>two</strong></li><li>three</li></ul>"
            "<p>-5 is not one</p>",
        ),
        ("&gt; quoted\n&gt; more\nafter", "<blockquote>quoted\nmore</blockquote><p>after</p>"),
        ("line 1\nline 2\n\npara 2", "<p>line 1\nline 2</p><p>para 2</p>"),
    ],
)
def test_slack_mrkdwn_becomes_what_slack_shows(renderer: Page, mrkdwn: str, html: str) -> None:
    assert render(renderer, mrkdwn)["html"] == html


@pytest.mark.parametrize(
    "typed",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "<https://evil.example|click me> &amp; <!channel>",
        "`<b>code</b>` ```<i>block</i>```",
    ],
)
def test_what_a_person_typed_shows_as_typed(renderer: Page, typed: str) -> None:
    shown = render(renderer, typed, as_typed=True)
    assert shown["tags"] in (["P"], ["P", "CODE", "PRE"])
    assert shown["hrefs"] == []
    assert shown["text"].replace("`", "") == typed.replace("`", "")


MARKUP = st.text(alphabet=st.sampled_from("*_~`<>&|@#!:/.- \n•abc12;é"), max_size=60)
SCHEMES = st.sampled_from(
    ["javascript", "JavaScript", "data", "vbscript", "file", "http", "mailto"]
)
TOKENS = st.builds("<{}:{}|{}>".format, SCHEMES, MARKUP, MARKUP)
ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=200)
TEXTS = st.one_of(ANY_TEXT, st.lists(st.one_of(MARKUP, TOKENS), max_size=4).map("".join))


@settings(max_examples=100, deadline=None)
@given(text=TEXTS, as_typed=st.booleans())
def test_any_text_makes_only_harmless_elements(renderer: Page, text: str, as_typed: bool) -> None:
    shown = render(renderer, text, as_typed=as_typed)
    assert set(shown["tags"]) <= ALLOWED_TAGS
    assert set(shown["attributes"]) <= ALLOWED_ATTRIBUTES
    assert all(href.startswith(("http:", "https:", "mailto:")) for href in shown["hrefs"])
    assert shown["roundTrip"] == text


@settings(max_examples=100, deadline=None)
@given(text=TEXTS)
def test_nothing_a_person_typed_is_lost_or_invented(renderer: Page, text: str) -> None:
    shown = render(renderer, text, as_typed=True)
    assert [c for c in shown["text"] if c.isalnum()] == [c for c in text if c.isalnum()]
