"""The help worker: answers ``help``, ``help <command>`` and anything Jeeves did not understand."""

from __future__ import annotations

from jeeves_shared.commands import UNKNOWN, help_text, suggest
from jeeves_shared.messages import Action, Reply
from workers.deps import Deps, expect_action
from workers.mrkdwn import to_slack_text


async def handle(message: Action | Reply, deps: Deps) -> None:
    """Reply to a ``help`` or ``unknown`` action."""
    action = expect_action(message)
    await deps.answer(action, answer(action))


def answer(action: Action) -> str:
    """The text of the answer to ``action``."""
    if action.command == UNKNOWN:
        return unknown_command(action.args)
    return help_text(action.args) or unknown_command(action.args, asked_help=True)


def unknown_command(text: str, *, asked_help: bool = False) -> str:
    """The answer to an unknown command, with suggestions that would work when any are close."""
    word = text.split()[0] if text.split() else text
    shown = to_slack_text(word[:40])
    hints = suggest(text)
    did_you_mean = " Did you mean " + " or ".join(f"`{hint}`" for hint in hints) + "?"
    prefix = "There is no command" if asked_help else "I don't know"
    return f"{prefix} `{shown}`.{did_you_mean if hints else ''} Try `help`."
