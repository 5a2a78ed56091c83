"""Slack Events API payloads turned into Jeeves actions: a pure function, no I/O.

Only two kinds of event become actions: an ``app_mention`` in a channel, and a ``message`` in a
direct message with the bot. Everything else (the bot's own messages, other bots' messages,
edits, joins, a file shared without words, other event types) is ignored with a reason that
the front door logs. Every string is read as :data:`~jeeves_frontend.slack_text.SafeText`, and
a payload that does not fit the models (any field of the wrong type or size) is ignored, so no
payload can make the front door fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from jeeves_frontend.slack_text import (
    SafeText,
    SlackId,
    blocks_text,
    strip_leading_mention,
    to_plain_text,
)
from jeeves_shared.commands import parse_command
from jeeves_shared.messages import Action, Conversation


class SlackEvent(BaseModel):
    """The fields of an inner event that Jeeves reads."""

    model_config = ConfigDict(extra="ignore")

    type: SafeText
    user: SlackId | None = None
    text: SafeText = ""
    #: Rich text; read only when ``text`` is empty (see :func:`~.slack_text.blocks_text`).
    blocks: Any = None
    channel: SlackId | None = None
    channel_type: SafeText | None = None
    ts: SlackId | None = None
    thread_ts: SlackId | None = None
    subtype: SafeText | None = None
    bot_id: SafeText | None = None


class Authorization(BaseModel):
    """One entry of an envelope's ``authorizations``."""

    model_config = ConfigDict(extra="ignore")

    user_id: SlackId | None = None
    is_bot: bool = False


class EventCallback(BaseModel):
    """An ``event_callback`` envelope."""

    model_config = ConfigDict(extra="ignore")

    team_id: SlackId
    event_id: SlackId
    event: SlackEvent
    authorizations: list[Authorization] = []


#: The Events API subscriptions this module turns into actions, by Slack's name for them (the
#: app manifest's ``bot_events``): the event ``type`` and, for ``message.*``, its ``channel_type``.
#: Mentions in channels arrive as ``app_mention``; ``message.channels`` is left out on purpose
#: (every mention would arrive twice, see docs/slack-app.md).
SUBSCRIPTIONS: dict[str, tuple[str, str | None]] = {
    "app_mention": ("app_mention", None),
    "message.im": ("message", "im"),
}

#: Message subtypes that are still a person talking to the bot.
_USER_SUBTYPES = frozenset({"file_share", "thread_broadcast"})


@dataclass(frozen=True)
class Ignored:
    """An event that needs no action, and why."""

    reason: str


def to_action(payload: dict[str, Any], *, bot_user_id: str = "") -> Action | Ignored:
    """Turn an ``event_callback`` payload into the action it asks for, or say why not."""
    try:
        envelope = EventCallback.model_validate(payload)
    except ValidationError as exc:
        return Ignored(f"not an event we read: {exc.error_count()} invalid field(s)")
    event = envelope.event
    bot = bot_user_id or _bot_user_id(envelope)
    reason = _ignore_reason(event, bot)
    if reason:
        return Ignored(reason)
    assert event.user and event.channel  # checked by _ignore_reason
    text = event.text or blocks_text(event.blocks)
    if not text and event.subtype == "file_share":
        # A file dropped in with no words asks nothing: answering it would only be noise.
        return Ignored("a file shared without words")
    text = text if bot else strip_leading_mention(text)
    plain = to_plain_text(text, bot_user_id=bot or None)
    parsed = parse_command(plain)
    return Action(
        id=action_id(envelope.team_id, event.channel, event.ts, envelope.event_id),
        command=parsed.command,
        args=parsed.args,
        text=plain,
        conversation=Conversation(
            origin="slack",
            team_id=envelope.team_id,
            channel_id=event.channel,
            user_id=event.user,
            thread_ts=event.thread_ts,
            is_direct_message=event.type == "message",
        ),
    )


def action_id(team_id: str, channel: str, ts: str | None, event_id: str) -> str:
    """The id of the action a Slack message asks for: one per message, not per delivery.

    Slack keeps ``event_id`` across its retries, but one message can also arrive as two events
    (``app_mention`` and ``message.*`` when both are subscribed), with two ``event_id`` values
    and the same channel and ``ts``. Keyed on the message, both deliveries are the same action,
    and every consumer's claim (keyed on ids derived from it) makes the second a no-op.
    """
    if not ts:
        return event_id
    return f"slack:{team_id}:{channel}:{ts}"


def _bot_user_id(envelope: EventCallback) -> str:
    for authorization in envelope.authorizations:
        if authorization.is_bot and authorization.user_id:
            return authorization.user_id
    return ""


def _ignore_reason(event: SlackEvent, bot_user_id: str) -> str | None:
    if event.type not in {kind for kind, _ in SUBSCRIPTIONS.values()}:
        return f"event type {event.type}"
    if not any(
        event.type == kind and where in (None, event.channel_type)
        for kind, where in SUBSCRIPTIONS.values()
    ):
        return "message outside a direct message (mentions arrive as app_mention)"
    if bot_user_id and event.user == bot_user_id:
        return "the bot's own message"
    if event.bot_id:
        return "another bot's message" if bot_user_id else "a bot's message"
    if event.subtype and event.subtype not in _USER_SUBTYPES:
        return f"message subtype {event.subtype}"
    if not event.user or not event.channel:
        return "no user or channel"
    return None
