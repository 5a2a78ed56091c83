"""The commands Jeeves understands: the registry, how text becomes a command, and help.

* :mod:`~jeeves_shared.commands.registry` — the one list of commands (:data:`COMMANDS`).
* :mod:`~jeeves_shared.commands.parsing` — text to a command: the ways of addressing Jeeves
  (``hey @jeeves, help?``) are normalised there, in one place, for Slack and the dev chat alike.
* :mod:`~jeeves_shared.commands.guidance` — ``help`` answers and "did you mean" suggestions.
"""

from __future__ import annotations

from jeeves_shared.commands.guidance import (
    describe,
    find_command,
    find_commands,
    help_text,
    overview,
    suggest,
)
from jeeves_shared.commands.parsing import ParsedCommand, parse_command, strip_address
from jeeves_shared.commands.registry import COMMANDS, UNKNOWN, Command

__all__ = [
    "COMMANDS",
    "UNKNOWN",
    "Command",
    "ParsedCommand",
    "describe",
    "find_command",
    "find_commands",
    "help_text",
    "overview",
    "parse_command",
    "strip_address",
    "suggest",
]
