"""Slack slash commands (``/jeeves <text>``) turned into actions: a pure function, no I/O."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from jeeves_frontend.slack_text import SafeText, SlackId, to_plain_text
from jeeves_shared.commands import parse_command
from jeeves_shared.messages import Action, Conversation


class NotASlashCommand(ValueError):
    """A signed form that is not a slash command: a field missing, or not what Slack sends."""


class SlashForm(BaseModel):
    """The form fields of a slash command that Jeeves reads."""

    model_config = ConfigDict(extra="ignore")

    #: The workspace the command was typed in, whose installation answers it; the user is
    #: one of its members (Slack sends a command to the installation of the user's own org).
    team_id: SlackId
    #: Absent (or empty) outside Enterprise Grid.
    enterprise_id: Annotated[SlackId | None, BeforeValidator(lambda v: v or None)] = None
    #: Slack sends ``"true"`` or ``"false"``.
    is_enterprise_install: bool = False
    channel_id: SlackId
    user_id: SlackId
    response_url: Annotated[SafeText, Field(min_length=1, max_length=2000)]
    text: SafeText = ""
    trigger_id: Annotated[SafeText, Field(max_length=150)] = ""


def to_slash_action(form: Mapping[str, str]) -> Action:
    """The action a slash command asks for; its answer goes to ``response_url``.

    Raises :class:`NotASlashCommand` naming the fields that are missing or invalid.
    """
    try:
        fields = SlashForm.model_validate(form)
    except ValidationError as exc:
        raise NotASlashCommand(_explain(exc)) from None
    text = to_plain_text(fields.text)
    parsed = parse_command(text)
    return Action(
        id=f"slash-{fields.trigger_id or _digest(form)}",
        command=parsed.command,
        args=parsed.args,
        text=text,
        conversation=Conversation(
            origin="slack",
            team_id=fields.team_id,
            enterprise_id=fields.enterprise_id,
            is_enterprise_install=fields.is_enterprise_install,
            user_team_id=fields.team_id,
            channel_id=fields.channel_id,
            user_id=fields.user_id,
            is_direct_message=fields.channel_id.startswith("D"),
            response_url=fields.response_url,
        ),
    )


def _explain(exc: ValidationError) -> str:
    missing = [str(e["loc"][0]) for e in exc.errors() if e["type"] == "missing"]
    invalid = [str(e["loc"][0]) for e in exc.errors() if e["type"] != "missing"]
    said = [f"missing {', '.join(missing)}"] if missing else []
    said += [f"invalid {', '.join(invalid)}"] if invalid else []
    return "; ".join(said)


def _digest(form: Mapping[str, str]) -> str:
    canonical = "&".join(f"{key}={form[key]}" for key in sorted(form))
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:32]
