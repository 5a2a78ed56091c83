"""The command registry: which words Jeeves understands, and how text becomes a command.

The front door uses :func:`parse_command` to pick the routing key (``action.<command>``); the
help worker (and the slash command's instant ``help``) renders its answer from
:data:`COMMANDS` with :func:`overview` and :func:`describe`, so help always matches what is
routed. Matching is case-insensitive and on whole words: ``helpful`` is not ``help``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

#: The command name of text that matches nothing: the help worker answers it.
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Command:
    """One command: its name (the routing key suffix), how to use it, and what it does."""

    name: str
    usage: str
    summary: str
    #: Word sequences that invoke it, in lower case; by default its name.
    words: tuple[str, ...] = ()
    details: str = ""
    examples: tuple[str, ...] = ()

    @property
    def phrases(self) -> tuple[str, ...]:
        """Every word sequence that invokes this command."""
        return self.words or (self.name,)


COMMANDS: tuple[Command, ...] = (
    Command(
        name="help",
        usage="help [command]",
        summary="List what I can do, or explain one command.",
        words=("help", "commands", "?"),
        details="With a command name, shows how to use that command and some examples.",
        examples=("help", "help weather"),
    ),
    Command(
        name="weather",
        usage="weather [in <place>]",
        summary="The weather now, for a place or for where you are.",
        details="Without a place I use your location (`set location <place>`). Temperatures "
        "follow your units (`config set units imperial`).",
        examples=("weather", "weather in Paris", "weather New York"),
    ),
    Command(
        name="set_location",
        usage="set location <place>",
        summary="Tell me where you are, for `weather` and daily alerts.",
        words=("set location",),
        examples=("set location Lyon, FR",),
    ),
    Command(
        name="get_location",
        usage="get location",
        summary="Where I think you are.",
        words=("get location", "where am i"),
        examples=("get location", "where am i"),
    ),
    Command(
        name="config",
        usage="config show | get <key> | set <key> <value> | unset <key>",
        summary="Your settings.",
        details="Known keys: `units` (metric or imperial) and `timezone` (an IANA name such as "
        "Europe/Paris). Other keys hold up to 200 characters each, 50 keys at most.",
        examples=("config show", "config set units imperial", "config set timezone Asia/Tokyo"),
    ),
    Command(
        name="alerts",
        usage="alerts [on [HH:MM] | off]",
        summary="A daily weather message at a time of your choosing (08:00 by default).",
        details="The time is in your timezone (`config set timezone <name>`), UTC otherwise. "
        "`alerts` alone tells you what is set.",
        examples=("alerts on", "alerts on 07:30", "alerts off", "alerts"),
    ),
    Command(
        name="remind",
        usage="remind me in <n> <minutes|hours|days> to <text> | remind me at <HH:MM> to <text>",
        summary="A reminder, by direct message (or in this thread) when it is due.",
        words=("remind me", "remind"),
        examples=("remind me in 10 minutes to stretch", "remind me at 17:30 to call Ann"),
    ),
    Command(
        name="reminders",
        usage="reminders [cancel <id>]",
        summary="Your pending reminders, or cancel one.",
        examples=("reminders", "reminders cancel 12"),
    ),
    Command(
        name="login",
        usage="login",
        summary="A link to your Jeeves dashboard, by direct message.",
    ),
)

_BY_NAME = {command.name: command for command in COMMANDS}
_FIRST_WORDS = sorted({phrase.split()[0] for command in COMMANDS for phrase in command.phrases})
_PHRASES = sorted(
    ((tuple(phrase.split()), command.name) for command in COMMANDS for phrase in command.phrases),
    key=lambda entry: -len(entry[0]),
)


@dataclass(frozen=True)
class ParsedCommand:
    """The command a text invokes and the rest of the text (its arguments)."""

    command: str
    args: str


def parse_command(text: str) -> ParsedCommand:
    """Match the leading words of ``text`` against the registry; the longest phrase wins.

    Empty text asks for help (``@jeeves`` alone). Text that matches no phrase is ``unknown``
    with the whole text as its arguments, so the user can be told what was not understood.
    """
    words = text.split()
    if not words:
        return ParsedCommand("help", "")
    lowered = tuple(word.lower() for word in words)
    for phrase, name in _PHRASES:
        if lowered[: len(phrase)] == phrase:
            return ParsedCommand(name, " ".join(words[len(phrase) :]))
    return ParsedCommand(UNKNOWN, " ".join(words))


def find_command(text: str) -> Command | None:
    """The command ``text`` names (``set_location``) or starts with (``set location ...``)."""
    named = _BY_NAME.get(text.strip().lower())
    return named or _BY_NAME.get(parse_command(text).command)


def suggest(word: str) -> str | None:
    """The first word of the registered phrase closest to ``word``, if any is close."""
    matches = difflib.get_close_matches(word.lower(), _FIRST_WORDS, n=1, cutoff=0.6)
    return matches[0] if matches else None


def overview() -> str:
    """Every command with its usage and one line on what it does."""
    lines = ["Here is what I can do:"]
    lines += [f"• `{command.usage}` — {command.summary}" for command in COMMANDS]
    lines.append("Say `help <command>` for details.")
    return "\n".join(lines)


def describe(command: Command) -> str:
    """One command in detail, with examples."""
    lines = [f"`{command.usage}` — {command.summary}"]
    if command.details:
        lines.append(command.details)
    if command.examples:
        lines.append("Examples: " + ", ".join(f"`{example}`" for example in command.examples))
    return "\n".join(lines)


def help_text(args: str) -> str | None:
    """The answer to ``help <args>``; None when ``args`` names no command."""
    if not args.strip():
        return overview()
    command = find_command(args)
    return describe(command) if command else None
