from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from jeeves_shared.commands import (
    COMMANDS,
    UNKNOWN,
    Command,
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
        ("please help", "help", ""),
        ("history", UNKNOWN, "history"),
        ("hi", "help", ""),
        ("hey, jeeves!", "help", ""),
        ("okay weather", "weather", ""),
        ("weather in Washington?!", "weather", "in Washington"),
        ("set location St. Louis.", "set_location", "St. Louis"),
        ("config set motto  a  b.", "config", "set motto  a  b."),
        ("config?", "config", ""),
        ("remind me?", "remind", ""),
        ("remind me to say please", "remind", "to say please"),
        ("weather in Paris please", "weather", "in Paris"),
        ("weather in Paris, thanks!", "weather", "in Paris"),
        ("could you remind me in 5 minutes to stretch", "remind", "in 5 minutes to stretch"),
    ],
)
def test_parse_command(text: str, command: str, args: str) -> None:
    parsed = parse_command(text)
    assert (parsed.command, parsed.args) == (command, args)


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        ("hlep", ["help"]),
        ("wether Paris", ["weather"]),
        ("remnd", ["remind me"]),
        ("zzzzzz", []),
        ("where", ["where am i"]),
        ("location", ["set location", "get location"]),
        ("set locaton Paris", ["set location"]),
        ("me", []),
    ],
)
def test_suggest_offers_phrases_that_work(text: str, phrases: list[str]) -> None:
    assert suggest(text) == phrases


@given(st.text(max_size=60))
def test_a_suggestion_always_works_and_is_never_the_word_typed(text: str) -> None:
    typed = text.split()[0].lower() if text.split() else ""
    for phrase in suggest(text):
        assert phrase != typed
        assert parse_command(phrase).command != UNKNOWN


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("weather", "weather"),
        ("set location", "set_location"),
        ("set_location", "set_location"),
        ("remind me", "remind"),
        ("where am i", "get_location"),
        ("me with weather", "weather"),
        ("location", None),  # two commands: see test_help_about_a_word_in_several_commands
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
        assert f"`{as_shown_escaped(command.usage)}` — {command.summary}" in everything
    weather = help_text("weather")
    assert weather is not None and weather.startswith("`weather [in &lt;place&gt;]`")
    assert "Examples: `weather`" in weather
    assert help_text("teleport") is None


@pytest.mark.parametrize("args", ["me", "please", "me please", "?"])
def test_help_me_is_the_overview(args: str) -> None:
    assert help_text(args) == help_text("")


def test_help_about_a_word_in_several_commands_describes_each() -> None:
    text = help_text("location")
    assert text is not None
    assert text.startswith("`set location &lt;place&gt;`")
    assert "`get location`" in text


KNOWN = {command.name for command in COMMANDS} | {UNKNOWN}


@given(st.text(max_size=300))
def test_any_text_parses_to_exactly_one_known_command(text: str) -> None:
    parsed = parse_command(text)
    assert parsed.command in KNOWN
    # Nothing the user typed is lost: the arguments are part of their text, as typed.
    assert parsed.args in text


#: Ways people address a bot before the command (after Slack's mention is decoded away).
PREFIXES = (
    "",
    ", ",
    ": ",
    "hey ",
    "Hi, ",
    "hello jeeves, ",
    "@jeeves ",
    "/jeeves ",
    "Jeeves: ",
    "please ",
    "hey @jeeves, please ",
    "Good morning! ",
    "ok, ",
    "could you ",
)
#: ... and after it, where the command's arguments are not the person's own free text.
SUFFIXES = ("", "?", ".", "!", " ?", "?!", " please", ", please", "...", ", thanks", " please?")
WORD = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzÉé0123456789-/,'"), min_size=1)
ARGS = st.lists(WORD, max_size=4).map(" ".join)


@given(
    command=st.sampled_from(COMMANDS),
    args=ARGS,
    prefix=st.sampled_from(PREFIXES),
    suffix=st.sampled_from(SUFFIXES),
    shout=st.booleans(),
)
def test_every_command_survives_every_decoration(
    command: Command, args: str, prefix: str, suffix: str, shout: bool
) -> None:
    for phrase in command.phrases:
        plain = f"{phrase} {args}".strip()
        expected = parse_command(plain)
        assume(expected.command == command.name)  # ``remind`` + ``me ...`` is ``remind me``
        assume(not args.endswith(","))
        said = prefix + (plain.upper() if shout else plain)
        if command.free_text and args:
            # The person's own words keep their punctuation: only the prefix is dropped.
            decorated = parse_command(said + suffix)
            assert decorated.command == command.name
            assert decorated.args.lower() == (args + suffix).strip().lower()
            continue
        decorated = parse_command(said + suffix)
        assert (decorated.command, decorated.args.lower()) == (command.name, expected.args.lower())


def as_shown_escaped(text: str) -> str:
    """``text`` as Slack message text must carry it: ``&``, ``<``, ``>`` as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
