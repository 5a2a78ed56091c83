"""The command registry: which words Jeeves understands, and how text becomes a command.

The front door uses :func:`parse_command` to pick the routing key (``action.<command>``); the
help worker renders its answer from :data:`COMMANDS`, so help always matches what is routed.
Matching is case-insensitive and on whole words: ``helpful`` is not ``help``.
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
    #: Word sequences that invoke it, in lower case; the name itself always does.
    aliases: tuple[str, ...] = ()
    details: str = ""
    examples: tuple[str, ...] = ()

    @property
    def phrases(self) -> tuple[str, ...]:
        """Every word sequence that invokes this command."""
        return (self.name.replace("_", " "), *self.aliases)


COMMANDS: tuple[Command, ...] = (
    Command(
        name="help",
        usage="help [command]",
        summary="List what I can do, or explain one command.",
        aliases=("commands", "?"),
        details="With a command name, shows how to use that command and some examples.",
        examples=("help", "help help"),
    ),
)

_BY_NAME = {command.name: command for command in COMMANDS}


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
    lowered = [word.lower() for word in words]
    best: tuple[int, str] | None = None
    for command in COMMANDS:
        for phrase in command.phrases:
            size = len(phrase.split())
            if lowered[:size] == phrase.split() and (best is None or size > best[0]):
                best = (size, command.name)
    if best is None:
        return ParsedCommand(UNKNOWN, " ".join(words))
    return ParsedCommand(best[1], " ".join(words[best[0] :]))


def find_command(name: str) -> Command | None:
    """The command called ``name`` (case-insensitive), if there is one."""
    return _BY_NAME.get(name.strip().lower())


def suggest(word: str) -> str | None:
    """The registered command whose name is closest to ``word``, if any is close."""
    matches = difflib.get_close_matches(word.lower(), list(_BY_NAME), n=1, cutoff=0.6)
    return matches[0] if matches else None
