from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jeeves_frontend.slack_text import (
    blocks_text,
    strip_leading_mention,
    to_plain_text,
    to_safe_text,
)


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("<@UJEEVES> weather in Paris", "weather in Paris"),
        ("hey <@UJEEVES>   help", "hey     help"),
        ("<@UJEEVES|jeeves>: help", ": help"),
        ("remind <@U123> and <@U456|bob>", "remind @U123 and @bob"),
        ("post in <#C123|general> or <#C999>", "post in #general or #C999"),
        ("see <https://example.com|the docs> or <https://x.io>", "see the docs or https://x.io"),
        ("<!here> <!subteam^S1|@ops> <!channel>", "@here @ops @channel"),
        ("weather in AT&amp;T Park &lt;3 &gt;", "weather in AT&T Park <3 >"),
        ("weather in Saint-Étienne", "weather in Saint-Étienne"),
        ("config set motto  two  spaces ", "config set motto  two  spaces"),
        ("&amp;lt;", "&lt;"),
    ],
)
def test_to_plain_text(text: str, plain: str) -> None:
    assert to_plain_text(text, bot_user_id="UJEEVES") == plain


def test_strip_leading_mention_when_the_bot_id_is_unknown() -> None:
    assert strip_leading_mention("<@U0BOT> help <@U1>") == " help <@U1>"
    assert strip_leading_mention("help <@U0BOT>") == "help <@U0BOT>"


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@given(st.text(max_size=200))
def test_escaped_text_round_trips(text: str) -> None:
    assert to_plain_text(escape(text)) == text.strip()


@given(st.text(max_size=300))
def test_any_text_decodes_without_error(text: str) -> None:
    plain = to_plain_text(text, bot_user_id="UJEEVES")
    assert plain == plain.strip()


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("Caf\u00e9 \ud83d Paris", "Café \ufffd Paris"),
        ("\udfff\ud800", "\ufffd\ufffd"),
        ("a\x00b\x1b[31mc\x7f\x85", "ab[31mc"),
        ("one\r\ntwo\rthree\tfour", "one\ntwo\nthree\tfour"),
        ("weather in Saint-Étienne 🌧", "weather in Saint-Étienne 🌧"),
    ],
)
def test_to_safe_text_keeps_what_a_person_sees(text: str, safe: str) -> None:
    assert to_safe_text(text) == safe


@given(st.text(st.characters(exclude_categories=()), max_size=200))
def test_safe_text_can_always_be_encoded_and_stored(text: str) -> None:
    safe = to_safe_text(text)
    safe.encode("utf-8")  # strict: raises on a surrogate
    assert "\x00" not in safe and "\r" not in safe
    assert to_safe_text(safe) == safe


RICH = [
    {
        "type": "rich_text",
        "elements": [
            {
                "type": "rich_text_section",
                "elements": [
                    {"type": "user", "user_id": "UJEEVES"},
                    {"type": "text", "text": " weather in AT&T "},
                    {"type": "link", "url": "https://x.io", "text": "Park"},
                    {"type": "emoji", "name": "sunny"},
                ],
            }
        ],
    }
]


def test_blocks_text_reads_rich_text_as_slack_text() -> None:
    assert blocks_text(RICH) == "<@UJEEVES> weather in AT&amp;T Park"
    plain = to_plain_text(blocks_text(RICH), bot_user_id="UJEEVES")
    assert plain == "weather in AT&T Park"


@given(
    st.recursive(
        st.none() | st.text() | st.integers(),
        lambda c: (
            st.lists(c)
            | st.dictionaries(st.sampled_from(["type", "elements", "text", "user_id", "url"]), c)
        ),
    )
)
def test_blocks_text_takes_any_json(blocks: object) -> None:
    assert isinstance(blocks_text(blocks), str)
