"""Help texts and "did you mean" suggestions, rendered from the registry.

A suggestion is always a phrase that works as typed (``get location``), never the word the person
typed, chosen first from the commands that contain that word (``location`` → ``get location``,
``set location``), else from the command words it is a near miss of (``wether`` → ``weather``).
"""

from __future__ import annotations

import difflib

from jeeves_shared.commands.parsing import parse_command, strip_address
from jeeves_shared.commands.registry import BY_NAME, COMMANDS, UNKNOWN, Command

#: Words around a command name in a request for help: ``help me with weather``.
_FILLER = frozenset({"me", "with", "on", "about", "for", "the", "command", "a", "an", "i", "to"})
#: Words too common to point at one command (``me`` is in ``remind me``).
_TOO_COMMON = _FILLER | {"am", "in", "at"}
_ALL_PHRASES = tuple(phrase for command in COMMANDS for phrase in command.phrases)
_FIRST_WORDS = sorted({phrase.split()[0] for phrase in _ALL_PHRASES})
#: Most phrases offered in one suggestion.
MAX_SUGGESTIONS = 2


def find_commands(text: str) -> list[Command]:
    """The commands ``text`` is about: a name (``set_location``), a phrase, or a word of one.

    ``help me with location`` asks about ``location``, which is in two commands' phrases.
    Returns them in registry order; empty when ``text`` names nothing.
    """
    words = [w for w in strip_address(text).lower().split() if w not in _FILLER]
    if not words:
        return []
    wanted = " ".join(words)
    if named := BY_NAME.get(wanted):
        return [named]
    parsed = parse_command(wanted)
    if parsed.command != UNKNOWN:
        return [BY_NAME[parsed.command]]
    return [c for c in COMMANDS if any(words[0] in phrase.split() for phrase in c.phrases)]


def find_command(text: str) -> Command | None:
    """The one command ``text`` names or starts with; None when it names none or several."""
    found = find_commands(text)
    return found[0] if len(found) == 1 else None


def suggest(text: str) -> list[str]:
    """Phrases that would work for what ``text`` (an unknown request) seems to mean.

    At most :data:`MAX_SUGGESTIONS`, never equal to ``text``'s first word; empty when nothing
    is close.
    """
    words = strip_address(text).lower().split()
    if not words:
        return []
    first = words[0]
    if first in _TOO_COMMON:
        containing = []
    else:
        containing = [phrase for phrase in _ALL_PHRASES if first in phrase.split()]
    if not containing:
        close = difflib.get_close_matches(first, _FIRST_WORDS, n=1, cutoff=0.6)
        containing = [_first_phrase_of(word) for word in close]
    return [phrase for phrase in containing if phrase != first][:MAX_SUGGESTIONS]


def _first_phrase_of(word: str) -> str:
    return next(phrase for phrase in _ALL_PHRASES if phrase.split()[0] == word)


def overview() -> str:
    """Every command with its usage and one line on what it does."""
    lines = ["Here is what I can do:"]
    lines += [f"• `{command.usage}` — {command.summary}" for command in COMMANDS]
    lines.append("Say `help <command>` for details.")
    return _as_mrkdwn("\n".join(lines))


def describe(command: Command) -> str:
    """One command in detail, with examples."""
    lines = [f"`{command.usage}` — {command.summary}"]
    if command.details:
        lines.append(command.details)
    if command.examples:
        lines.append("Examples: " + ", ".join(f"`{example}`" for example in command.examples))
    return _as_mrkdwn("\n".join(lines))


def _as_mrkdwn(text: str) -> str:
    """``text`` with ``&``, ``<`` and ``>`` as entities, as Slack requires of message text.

    Usage lines hold placeholders such as ``<place>``, which Slack (and the dev chat page) would
    otherwise read as a link and show as ``place``. Source: Slack's "Formatting text for app
    surfaces", escaping text.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def help_text(args: str) -> str | None:
    """The answer to ``help <args>``; None when ``args`` names no command.

    ``help``, ``help me`` and ``help please`` give the overview; ``help location`` describes
    every command about locations.
    """
    if not [w for w in strip_address(args).lower().split() if w not in _FILLER]:
        return overview()
    found = find_commands(args)
    return "\n\n".join(describe(command) for command in found) if found else None
