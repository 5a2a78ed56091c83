from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jeeves_shared.commands import (
    COMMANDS,
    UNKNOWN,
    find_command,
    help_text,
    parse_command,
    suggest,
)


@pytest.mark.parametrize(
    ("text", "command", "args"),
    [
        ("help", "help", ""),
        ("HELP", "help", ""),
        ("  Help   me  ", "help", "me"),
        ("help weather", "help", "weather"),
        ("", "help", ""),
        ("helpful", UNKNOWN, "helpful"),
        ("weather in Paris", "weather", "in Paris"),
        ("Weather Saint-Étienne", "weather", "Saint-Étienne"),
        ("weatherman", UNKNOWN, "weatherman"),
        ("set location  Lyon, FR", "set_location", "Lyon, FR"),
        ("set locations", UNKNOWN, "set locations"),
        ("Where am I", "get_location", ""),
        ("remind me in 5 minutes to stretch", "remind", "in 5 minutes to stretch"),
        ("reminders cancel 4", "reminders", "cancel 4"),
        ("config set units imperial", "config", "set units imperial"),
        ("alerts on 07:30", "alerts", "on 07:30"),
        ("login", "login", ""),
        ("please help", UNKNOWN, "please help"),
    ],
)
def test_parse_command(text: str, command: str, args: str) -> None:
    parsed = parse_command(text)
    assert (parsed.command, parsed.args) == (command, args)


def test_suggest_finds_a_near_miss() -> None:
    assert suggest("hlep") == "help"
    assert suggest("wether") == "weather"
    assert suggest("remnd") == "remind"
    assert suggest("zzzzzz") is None


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("weather", "weather"),
        ("set location", "set_location"),
        ("set_location", "set_location"),
        ("remind me", "remind"),
        ("where am i", "get_location"),
        ("teleport", None),
    ],
)
def test_find_command(text: str, name: str | None) -> None:
    found = find_command(text)
    assert (found.name if found else None) == name


def test_help_text_covers_every_command_and_details_one() -> None:
    everything = help_text("")
    assert everything is not None
    for command in COMMANDS:
        assert f"`{command.usage}` — {command.summary}" in everything
    weather = help_text("weather")
    assert weather is not None and weather.startswith("`weather [in <place>]`")
    assert "Examples: `weather`" in weather
    assert help_text("teleport") is None


KNOWN = {command.name for command in COMMANDS} | {UNKNOWN}


@given(st.text(max_size=300))
def test_any_text_parses_to_exactly_one_known_command(text: str) -> None:
    parsed = parse_command(text)
    assert parsed.command in KNOWN
    # Nothing the user typed is lost: the arguments are the tail of their words.
    assert " ".join(text.split()).endswith(parsed.args)
