"""The help worker: answers ``help``, ``help <command>`` and anything Jeeves did not understand."""

from __future__ import annotations

from jeeves_shared.commands import COMMANDS, UNKNOWN, Command, find_command, suggest
from jeeves_shared.messages import Action, Reply
from workers.deps import Deps
from workers.mrkdwn import to_slack_text


async def handle(message: Action | Reply, deps: Deps) -> None:
    """Reply to a ``help`` or ``unknown`` action."""
    if not isinstance(message, Action):
        raise TypeError(f"help worker got a {message.kind}")
    await deps.reply(Reply.to(message, answer(message)))


def answer(action: Action) -> str:
    """The text of the answer to ``action``."""
    if action.command == UNKNOWN:
        return unknown_command(action.args)
    if action.args:
        command = find_command(action.args.split()[0])
        if command is None:
            return unknown_command(action.args, asked_help=True)
        return describe(command)
    return overview()


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


def unknown_command(text: str, *, asked_help: bool = False) -> str:
    """ "I don't know `xyz`." with a suggestion when a command is close."""
    word = text.split()[0] if text.split() else text
    shown = to_slack_text(word[:40])
    hint = suggest(word)
    did_you_mean = f" Did you mean `{hint}`?" if hint else ""
    prefix = "There is no command" if asked_help else "I don't know"
    return f"{prefix} `{shown}`.{did_you_mean} Try `help`."
