"""Text to a command: the one place where the ways people address Jeeves are normalised.

People write to a bot as they write to a person. Before the command is matched, these are
dropped (case-insensitive, whole words), because none can be part of a command's meaning:

* at the start, in any order and with any punctuation after them (``,`` ``:`` ``;`` ``!``
  ``-``): a greeting (``hey``, ``hi``, ``hello``, ``good morning``, ...), Jeeves' name
  (``jeeves``, ``@jeeves``, ``/jeeves``; in Slack the ``<@U…>`` mention is already gone),
  and ``please`` or ``can you``/``could you``/``would you``;
* at the end: ``?``, ``.``, ``!``, a trailing ``please``, ``thanks`` or ``thank you`` \u2014 except
  for commands whose arguments end in the person's own words (:attr:`Command.free_text`:
  a reminder's text, a setting's value), which are kept exactly as typed.

The arguments are the rest of the text as typed: inner spacing is kept, only the ends are
trimmed. The accepted forms are listed in ``docs/commands.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jeeves_shared.commands.registry import BY_NAME, COMMANDS, UNKNOWN

_GREETINGS = (
    "good morning|good afternoon|good evening|good day|hey there|hi there|hello there"
    "|hey|hi|hello|hiya|howdy|yo|oi|ok|okay|dear|sir"
)
_NAMES = r"[@/]?jeeves"
_POLITE = "please|pls|kindly|can you|could you|would you|will you"
#: One leading decoration, with the punctuation and spaces after it.
_PUNCTUATION = r",:;!\-\u2013\u2014"  # and hyphens, en and em dashes
_LEADING = re.compile(
    rf"(?:(?:{_GREETINGS}|{_NAMES}|{_POLITE})(?![\w@/])|[{_PUNCTUATION}])[\s{_PUNCTUATION}]*",
    re.IGNORECASE,
)
#: One trailing decoration, with the punctuation and spaces before it.
_TRAILING = re.compile(
    r"(?:(?<![\w@/])(?:please|pls|thanks|thank you|thx)|[?.!…]+)$", re.IGNORECASE
)
_TRAILING_SPACE = re.compile(r"[\s,;:]+$")

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

    ``text`` is plain text (Slack formatting already decoded). Greetings, Jeeves' name and
    final punctuation are dropped first (see the module docstring). Text that is empty once
    they are gone (``@jeeves`` alone, ``hello?``) asks for help. Text that matches no phrase is
    ``unknown`` with the text as its arguments, so the user can be told what was not understood.
    """
    addressed = _strip_leading(text.strip())
    core = strip_ending(addressed)
    words = core.split()
    if not words:
        return ParsedCommand("help", "")
    lowered = tuple(word.lower() for word in words)
    for phrase, name in _PHRASES:
        if lowered[: len(phrase)] == phrase:
            if BY_NAME[name].free_text:
                return ParsedCommand(name, _free_text_after(addressed, core, len(phrase)))
            return ParsedCommand(name, _after_words(core, len(phrase)))
    return ParsedCommand(UNKNOWN, core)


def strip_address(text: str) -> str:
    """``text`` without the greetings, name and final punctuation around a request."""
    return strip_ending(_strip_leading(text.strip()))


def strip_ending(text: str) -> str:
    """``text`` without a final ``?``/``.``/``!``, "please" or "thanks" (repeatedly)."""
    while True:
        trimmed = _TRAILING_SPACE.sub("", _TRAILING.sub("", text.rstrip()))
        if trimmed == text:
            return text
        text = trimmed


def _strip_leading(text: str) -> str:
    while match := _LEADING.match(text):
        text = text[match.end() :]
    return text


def _after_words(text: str, count: int) -> str:
    """``text`` after its first ``count`` words, inner spacing kept."""
    match = re.match(rf"\s*(?:\S+\s+){{{count - 1}}}\S+", text)
    return text[match.end() :].strip() if match else ""


def _free_text_after(addressed: str, core: str, count: int) -> str:
    """The arguments of a free-text command: as typed, unless only decoration follows."""
    if not _after_words(core, count):
        return ""  # ``remind me?``, ``config.``: nothing of the person's own follows
    return _after_words(addressed, count)
