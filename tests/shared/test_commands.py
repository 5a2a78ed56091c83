from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jeeves_shared.commands import COMMANDS, UNKNOWN, parse_command, suggest


@pytest.mark.parametrize(
    ("text", "command", "args"),
    [
        ("help", "help", ""),
        ("HELP", "help", ""),
        ("  Help   me  ", "help", "me"),
        ("help weather", "help", "weather"),
        ("", "help", ""),
        ("helpful", UNKNOWN, "helpful"),
        ("weather in Paris", UNKNOWN, "weather in Paris"),
        ("please help", UNKNOWN, "please help"),
    ],
)
def test_parse_command(text: str, command: str, args: str) -> None:
    parsed = parse_command(text)
    assert (parsed.command, parsed.args) == (command, args)


def test_suggest_finds_a_near_miss() -> None:
    assert suggest("hlep") == "help"
    assert suggest("zzzzzz") is None


KNOWN = {command.name for command in COMMANDS} | {UNKNOWN}


@given(st.text(max_size=300))
def test_any_text_parses_to_exactly_one_known_command(text: str) -> None:
    parsed = parse_command(text)
    assert parsed.command in KNOWN
    # Nothing the user typed is lost: the arguments are the tail of their words.
    assert " ".join(text.split()).endswith(parsed.args)
