"""Slack slash commands (``/jeeves <text>``) turned into actions: a pure function, no I/O."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from jeeves_frontend.slack_text import to_plain_text
from jeeves_shared.commands import parse_command
from jeeves_shared.messages import Action, Conversation

#: Form fields Slack always sends with a slash command.
REQUIRED = ("team_id", "channel_id", "user_id", "response_url")


class MissingFields(ValueError):
    """A signed form without the fields of a slash command."""


def to_slash_action(form: Mapping[str, str]) -> Action:
    """The action a slash command asks for; its answer goes to ``response_url``."""
    missing = [name for name in REQUIRED if not form.get(name)]
    if missing:
        raise MissingFields(", ".join(missing))
    text = to_plain_text(form.get("text", ""))
    parsed = parse_command(text)
    return Action(
        id=f"slash-{form.get('trigger_id') or _digest(form)}",
        command=parsed.command,
        args=parsed.args,
        text=text,
        conversation=Conversation(
            origin="slack",
            team_id=form["team_id"],
            channel_id=form["channel_id"],
            user_id=form["user_id"],
            is_direct_message=form["channel_id"].startswith("D"),
            response_url=form["response_url"],
        ),
    )


def _digest(form: Mapping[str, str]) -> str:
    canonical = "&".join(f"{key}={form[key]}" for key in sorted(form))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]
