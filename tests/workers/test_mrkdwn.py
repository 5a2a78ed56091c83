from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workers.mrkdwn import escape_stray_brackets, split_message, to_slack_text


def test_short_text_is_one_message() -> None:
    assert split_message("hello\nworld") == ["hello\nworld"]


def test_long_text_is_cut_on_line_breaks() -> None:
    lines = [f"line {n:04d} " + "x" * 80 for n in range(200)]
    parts = split_message("\n".join(lines), limit=1000)
    assert all(len(part) <= 1000 for part in parts)
    assert "\n".join(parts).split("\n") == lines


def test_a_word_longer_than_a_message_is_cut_anywhere() -> None:
    assert split_message("y" * 25, limit=10) == ["y" * 10, "y" * 10, "y" * 5]


@given(st.text(alphabet=st.sampled_from("ab \n"), max_size=400), st.integers(5, 60))
def test_splitting_loses_no_words(text: str, limit: int) -> None:
    parts = split_message(text, limit=limit)
    assert all(len(part) <= limit for part in parts) or len(parts) == 1
    assert "".join("".join(parts).split()) == "".join(text.split())


def test_to_slack_text_neutralises_mrkdwn() -> None:
    assert to_slack_text("<!channel> `code` a&b\n\tc") == "&lt;!channel&gt; 'code' a&amp;b c"


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("Say `set location <place>`.", "Say `set location &lt;place&gt;`."),
        ("`remind me in <n> <minutes|hours>`", "`remind me in &lt;n&gt; &lt;minutes|hours&gt;`"),
        (
            "Open <https://x.example/d?a=1&b=2|your dashboard>",
            "Open <https://x.example/d?a=1&b=2|your dashboard>",
        ),
        ("Hi <@U123>, see <#C1|general> <!here>", "Hi <@U123>, see <#C1|general> <!here>"),
        ("<mailto:a@b.example|mail> 3 > 2 < 4", "<mailto:a@b.example|mail> 3 &gt; 2 &lt; 4"),
        ("AT&amp;T &lt;x&gt;", "AT&amp;T &lt;x&gt;"),
    ],
)
def test_stray_brackets_become_entities_and_slack_sequences_stay(text: str, sent: str) -> None:
    assert escape_stray_brackets(text) == sent
