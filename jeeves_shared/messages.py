"""Versioned messages that travel on the bus, and the one place they are encoded.

Every message is a pydantic model with a ``kind`` and a ``version``. :func:`encode` and
:func:`decode` are the only way bytes become messages and back; anything else on the wire (bad
JSON, an unknown kind or version) raises :class:`MalformedMessage` and is dead-lettered by the bus.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from jeeves_shared.installations import InstallationKey

Origin = Literal["slack", "devchat"]

#: The team id of ``jeeves dev``'s chat page; answers to it go to the page, not to Slack.
DEV_TEAM_ID = "TDEV"


#: Slack events about an installation itself, and ``user_change`` (a member's profile, here
#: read for their Slack roles), published as actions whose ``command`` is the event type
#: (``jeeves_frontend.events.lifecycle_action``); the user worker handles them.
LIFECYCLE_COMMANDS = (
    "app_uninstalled",
    "tokens_revoked",
    "team_access_granted",
    "team_access_revoked",
    "user_change",
)
#: The Slack roles a ``user_change`` action lists in its ``args`` (those the member holds).
SLACK_ROLES = ("is_admin", "is_owner")


def origin_of(team_id: str) -> Origin:
    """Where answers for a team go, for messages that do not come from a request (reminders)."""
    return "devchat" if team_id == DEV_TEAM_ID else "slack"


class MalformedMessage(ValueError):
    """Bytes that are not a message this version of Jeeves understands."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Conversation(_Frozen):
    """Where a request came from, and so where its answer goes.

    Two teams are told apart (decided once, by the front door: ``docs/architecture.md``, "Which
    team"): the *installation* that received the request (:attr:`team_id`,
    :attr:`enterprise_id`, :attr:`is_enterprise_install`), whose bot token answers it; and the
    team the *user* belongs to (:attr:`user_team_id`), under which the user's settings are kept.
    They differ in a Slack Connect channel (a partner organisation's user) and in an org-wide
    Enterprise Grid install. Messages published before these fields existed decode with the
    defaults: one team, no enterprise.
    """

    origin: Origin
    #: The workspace of the installation that received the request (for an org-wide install:
    #: the workspace of the org it came from). Never the envelope's ``team_id`` of a Slack
    #: Connect event, which names the other organisation.
    team_id: str
    channel_id: str
    user_id: str
    #: The Enterprise Grid org of the installation, None outside Enterprise Grid.
    enterprise_id: str | None = None
    #: The installation is org-wide (one token for every workspace of :attr:`enterprise_id`).
    is_enterprise_install: bool = False
    #: The team the user belongs to (Slack's ``user_team``); None: :attr:`team_id`.
    user_team_id: str | None = None
    #: Set when the request was made in a thread: the answer goes in the same thread.
    thread_ts: str | None = None
    is_direct_message: bool = False
    #: Slash commands answer through this URL instead of ``chat.postMessage``.
    response_url: str | None = None

    @property
    def installation(self) -> InstallationKey:
        """The key of the installation that answers: its bot token posts the reply."""
        if self.is_enterprise_install:
            return InstallationKey(self.enterprise_id, None, True)
        return InstallationKey(self.enterprise_id, self.team_id, False)

    @property
    def user_team(self) -> str:
        """The team the user belongs to: the key of the user's record and settings."""
        return self.user_team_id or self.team_id


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


class ReplyPart(_Frozen):
    """One Slack message of an answer."""

    #: Stable across redeliveries: the key of the part's claim and the reply id in the posted
    #: message's metadata (``reply-<sha256(action id)[:16]>-<n>``, see :func:`reply_id`).
    id: str = Field(min_length=1, max_length=220)
    text: str = Field(min_length=1)


class Reply(_Frozen):
    """Something Jeeves says back (published on ``jeeves.replies``): one whole answer.

    An answer longer than one Slack message travels as one reply of several :attr:`parts`, so
    that one consumer posts them in order and says anything about the answer (a dead-letter
    reason, a hint to invite the bot) once. Version 1 (one part per message, ``text`` in place
    of ``parts``) is still read, for replies queued before version 2 was deployed.
    """

    kind: Literal["reply"] = "reply"
    version: Literal[2] = 2
    #: The answer's id: its first part's (the AMQP message id).
    id: str = Field(min_length=1, max_length=220)
    in_reply_to: str
    #: In the order they are to be shown.
    parts: tuple[ReplyPart, ...] = Field(min_length=1)
    conversation: Conversation
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @model_validator(mode="before")
    @classmethod
    def _upgrade_version_1(cls, data: Any) -> Any:
        """A version 1 reply is version 2 with its ``text`` as the one part, under its ``id``."""
        if isinstance(data, dict) and data.get("version") == 1:
            upgraded = {k: v for k, v in data.items() if k not in ("text", "parts")}
            upgraded["version"] = 2
            if "text" in data:  # else the error says ``parts`` is missing
                upgraded["parts"] = [{"id": data.get("id"), "text": data["text"]}]
            return upgraded
        return data

    @model_validator(mode="after")
    def _check_part_ids(self) -> Reply:
        ids = [part.id for part in self.parts]
        if ids[0] != self.id:
            raise ValueError("a reply's id is its first part's id")
        if len(set(ids)) != len(ids):
            raise ValueError("the parts of a reply have distinct ids")
        return self

    @property
    def text(self) -> str:
        """The whole answer (parts joined by line breaks), for places without Slack's limit."""
        return "\n".join(part.text for part in self.parts)

    @classmethod
    def to(cls, action: Action, text: str, *more: str, part: int = 0) -> Reply:
        """The reply to ``action``, saying ``text`` and then each of ``more`` as separate
        messages. Part ``n``'s id is ``reply_id(action.id, part + n)``: derived from the
        action's, so redeliveries keep it."""
        texts = (text, *more)
        parts = tuple(
            ReplyPart(id=reply_id(action.id, n), text=t) for n, t in enumerate(texts, start=part)
        )
        return cls(
            id=parts[0].id,
            in_reply_to=action.id,
            parts=parts,
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
