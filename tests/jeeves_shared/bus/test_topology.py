from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jeeves_shared.bus.topology import ACTIONS_EXCHANGE, WORKER_QUEUES, action_key, topic_matches
from jeeves_shared.commands import COMMANDS, UNKNOWN


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


def test_every_command_is_served_by_exactly_one_worker_queue() -> None:
    for name in [command.name for command in COMMANDS] + [UNKNOWN]:
        serving = [
            kind
            for kind, queue in WORKER_QUEUES.items()
            if queue.exchange == ACTIONS_EXCHANGE
            and any(topic_matches(key, action_key(name)) for key in queue.routing_keys)
        ]
        assert len(serving) == 1, (name, serving)
