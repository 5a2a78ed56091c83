from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jeeves_frontend.slack_text import strip_leading_mention, to_plain_text


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("<@UJEEVES> weather in Paris", "weather in Paris"),
        ("hey <@UJEEVES>   help", "hey help"),
        ("remind <@U123> and <@U456|bob>", "remind @U123 and @bob"),
        ("post in <#C123|general> or <#C999>", "post in #general or #C999"),
        ("see <https://example.com|the docs> or <https://x.io>", "see the docs or https://x.io"),
        ("<!here> <!subteam^S1|@ops> <!channel>", "@here @ops @channel"),
        ("weather in AT&amp;T Park &lt;3 &gt;", "weather in AT&T Park <3 >"),
        ("weather in Saint-Étienne", "weather in Saint-Étienne"),
        ("weather   Berlin\n\tplease", "weather Berlin please"),
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
    assert to_plain_text(escape(text)) == " ".join(text.split())


@given(st.text(max_size=300))
def test_any_text_decodes_without_error(text: str) -> None:
    plain = to_plain_text(text, bot_user_id="UJEEVES")
    assert plain == plain.strip()
    assert "  " not in plain
