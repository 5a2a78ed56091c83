"""Versioned messages that travel on the bus, and the one place they are encoded.

Every message is a pydantic model with a ``kind`` and a ``version``. :func:`encode` and
:func:`decode` are the only way bytes become messages and back; anything else on the wire (bad
JSON, an unknown kind or version) raises :class:`MalformedMessage` and is dead-lettered by the bus.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

Origin = Literal["slack", "devchat"]

#: The team id of ``jeeves dev``'s chat page; answers to it go to the page, not to Slack.
DEV_TEAM_ID = "TDEV"


def origin_of(team_id: str) -> Origin:
    """Where answers for a team go, for messages that do not come from a request (reminders)."""
    return "devchat" if team_id == DEV_TEAM_ID else "slack"


class MalformedMessage(ValueError):
    """Bytes that are not a message this version of Jeeves understands."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Conversation(_Frozen):
    """Where a request came from, and so where its answer goes."""

    origin: Origin
    team_id: str
    channel_id: str
    user_id: str
    #: Set when the request was made in a thread: the answer goes in the same thread.
    thread_ts: str | None = None
    is_direct_message: bool = False
    #: Slash commands answer through this URL instead of ``chat.postMessage``.
    response_url: str | None = None


class Action(_Frozen):
    """A user asked Jeeves to do something (published on ``jeeves.actions``)."""

    kind: Literal["action"] = "action"
    version: Literal[1] = 1
    #: One per Slack message, stable across Slack's retries and its two deliveries of a mention:
    #: ``slack:<team>:<channel>:<ts>`` (the ``event_id`` if an event has no ``ts``).
    id: str = Field(min_length=1, max_length=200)
    command: str = Field(min_length=1, max_length=64)
    #: What the user typed after the command word(s), cleaned of Slack formatting.
    args: str = ""
    #: The whole cleaned text, for replies such as "I don't know `xyz`".
    text: str = ""
    conversation: Conversation
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class Reply(_Frozen):
    """Something Jeeves says back (published on ``jeeves.replies``)."""

    kind: Literal["reply"] = "reply"
    version: Literal[1] = 1
    id: str = Field(min_length=1, max_length=220)
    in_reply_to: str
    text: str = Field(min_length=1)
    conversation: Conversation
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def to(cls, action: Action, text: str, *, part: int = 0) -> Reply:
        """The reply to ``action``; its id is derived from the action's so retries keep it."""
        return cls(
            id=reply_id(action.id, part),
            in_reply_to=action.id,
            text=text,
            conversation=action.conversation,
        )


Message = Annotated[Action | Reply, Field(discriminator="kind")]
_MESSAGE = TypeAdapter(Message)


def reply_id(action_id: str, part: int = 0) -> str:
    """A stable id for part ``part`` of the answer to ``action_id``."""
    digest = hashlib.sha256(action_id.encode()).hexdigest()[:16]
    return f"reply-{digest}-{part}"


def encode(message: Action | Reply) -> bytes:
    """Serialize a message to JSON bytes for the wire."""
    return message.model_dump_json().encode()


def decode(body: bytes) -> Action | Reply:
    """Parse wire bytes into a message; raise :class:`MalformedMessage` if they are not one."""
    try:
        return _MESSAGE.validate_json(body)
    except ValidationError as exc:
        raise MalformedMessage(_summarize(exc)) from None


def _summarize(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "message"
    return f"{where}: {first['msg']} ({exc.error_count()} error(s))"
