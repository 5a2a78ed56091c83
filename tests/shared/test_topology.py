from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jeeves_shared.topology import WORKER_QUEUES, action_key, topic_matches


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("action.help", "action.help", True),
        ("action.help", "action.helpful", False),
        ("action.*", "action.help", True),
        ("action.*", "action", False),
        ("action.*", "action.help.more", False),
        ("action.#", "action", True),
        ("action.#", "action.help.more", True),
        ("#", "anything.at.all", True),
        ("*.help", "action.help", True),
        ("#.help", "help", True),
    ],
)
def test_topic_matching(pattern: str, key: str, expected: bool) -> None:
    assert topic_matches(pattern, key) is expected


WORD = st.sampled_from(["action", "reply", "help", "x"])


@given(
    st.lists(st.sampled_from(["action", "help", "*", "#"]), min_size=1, max_size=4),
    st.lists(WORD, min_size=1, max_size=4),
)
def test_matching_agrees_with_a_regex_model(pattern: list[str], words: list[str]) -> None:
    # Model: every word ends with a dot, so '#' is "any number of whole words".
    parts = {"*": r"[^.]+\.", "#": r"(?:[^.]+\.)*"}
    regex = "".join(parts.get(part, re.escape(part) + r"\.") for part in pattern)
    expected = re.fullmatch(regex, "".join(word + "." for word in words)) is not None
    assert topic_matches(".".join(pattern), ".".join(words)) is expected


def test_help_worker_serves_help_and_unknown_commands() -> None:
    keys = WORKER_QUEUES["help"].routing_keys
    assert action_key("help") in keys
    assert action_key("unknown") in keys
