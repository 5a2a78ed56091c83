"""Slack Events API payloads turned into Jeeves actions: a pure function, no I/O.

Which team an event belongs to is decided here, once (``docs/architecture.md``, "Which team"):
the installation that received it, from the envelope's ``authorizations``
(:func:`receiver_of`), never the envelope's ``team_id`` (in a Slack Connect channel, the partner
organisation's); and the team the user belongs to, from the event's ``user_team`` (or
``team``). Both travel in the action's :class:`~jeeves_shared.messages.Conversation`.

Two kinds of event become actions a person asked for: an ``app_mention`` in a channel, and a
``message`` in a direct message with the bot; the installation's lifecycle events
(:data:`LIFECYCLE_EVENTS`) become lifecycle actions. Everything else (the bot's own messages,
other bots' messages, edits, joins, a file shared without words, other event types) is ignored
with a reason that the front door logs. Every string is read as
:data:`~jeeves_frontend.slack_text.SafeText`, and a payload that does not fit the models (any
field of the wrong type or size) is ignored, so no payload can make the front door fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from jeeves_frontend.slack_text import (
    SafeText,
    SlackId,
    blocks_text,
    strip_leading_mention,
    to_plain_text,
)
from jeeves_shared.commands import parse_command
from jeeves_shared.installations import InstallationKey
from jeeves_shared.messages import LIFECYCLE_COMMANDS, SLACK_ROLES, Action, Conversation

#: Events about the installation itself (not a person talking to Jeeves): they become
#: lifecycle actions, handled by the user worker (``docs/events.md``).
LIFECYCLE_EVENTS = frozenset(LIFECYCLE_COMMANDS)
#: More ids than an Enterprise Grid org has workspaces is not what Slack sends.
_MAX_IDS = 10_000


class RevokedTokens(BaseModel):
    """``tokens_revoked``'s ``tokens``: the user ids whose tokens were revoked, by kind."""

    model_config = ConfigDict(extra="ignore")

    oauth: list[SlackId] = Field(default=[], max_length=_MAX_IDS)
    bot: list[SlackId] = Field(default=[], max_length=_MAX_IDS)


class SlackMember(BaseModel):
    """``user_change``'s ``user``: a member of the workspace (``users.info``'s shape); Jeeves
    reads who they are and their roles."""

    model_config = ConfigDict(extra="ignore")

    id: SlackId
    team_id: SlackId | None = None
    # Strict: Slack sends JSON booleans; "yes" or 1 is no role (pydantic would read them as true).
    is_admin: StrictBool = False
    is_owner: StrictBool = False
    is_primary_owner: StrictBool = False


class SlackEvent(BaseModel):
    """The fields of an inner event that Jeeves reads."""

    model_config = ConfigDict(extra="ignore")

    type: SafeText
    user: SlackId | None = None
    #: The team the user belongs to (Slack Connect: possibly another organisation's).
    user_team: SlackId | None = None
    #: The team of the message's author, on ``message`` events (older than ``user_team``).
    team: SlackId | None = None
    text: SafeText = ""
    #: Rich text; read only when ``text`` is empty (see :func:`~.slack_text.blocks_text`).
    blocks: Any = None
    channel: SlackId | None = None
    channel_type: SafeText | None = None
    ts: SlackId | None = None
    thread_ts: SlackId | None = None
    subtype: SafeText | None = None
    bot_id: SafeText | None = None
    #: ``tokens_revoked`` only.
    tokens: RevokedTokens | None = None
    #: ``team_access_granted`` / ``team_access_revoked`` only: the workspaces of the org.
    team_ids: list[SlackId] = Field(default=[], max_length=_MAX_IDS)
    #: ``user_change`` only: the member (Slack sends it as ``user``, an object there; see
    #: :func:`read_envelope`).
    member: SlackMember | None = None


class Authorization(BaseModel):
    """One entry of an envelope's ``authorizations``: an installation the event is for."""

    model_config = ConfigDict(extra="ignore")

    enterprise_id: SlackId | None = None
    #: None for an org-wide install.
    team_id: SlackId | None = None
    user_id: SlackId | None = None
    is_bot: bool = False
    is_enterprise_install: bool = False


class EventCallback(BaseModel):
    """An ``event_callback`` envelope."""

    model_config = ConfigDict(extra="ignore")

    #: The team the event happened in *from the sender's side*: in a Slack Connect channel, the
    #: partner organisation's. Never used to pick the installation or the user's team.
    team_id: SlackId
    enterprise_id: SlackId | None = None
    #: The workspace where the event happened, on Slack Connect and org-wide events.
    context_team_id: SlackId | None = None
    event_id: SlackId
    #: When Slack sent the event (Unix seconds; kept across Slack's retries).
    event_time: int | None = Field(default=None, ge=0, le=2**40)
    event: SlackEvent
    #: The installation(s) the event was delivered for; Slack sends one (the rest are listed by
    #: ``apps.event.authorizations.list``).
    authorizations: list[Authorization] = Field(default=[], max_length=100)


@dataclass(frozen=True)
class Receiver:
    """The installation that received an event (decided once, here) and the workspace it is in.

    ``team_id`` is the installation's workspace; for an org-wide install (whose authorization
    names no team) the workspace of the org the event happened in.
    """

    enterprise_id: str | None
    team_id: str
    is_enterprise_install: bool = False
    #: The installation's bot user, when the authorization names it.
    bot_user_id: str | None = None

    @property
    def installation(self) -> InstallationKey:
        """The key of the installation, as the Data Service finds it (the same as its
        actions' :attr:`~jeeves_shared.messages.Conversation.installation`)."""
        if self.is_enterprise_install:
            return InstallationKey(self.enterprise_id, None, True)
        return InstallationKey(self.enterprise_id, self.team_id, False)


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


def read_envelope(payload: dict[str, Any]) -> EventCallback | Ignored:
    """The ``event_callback`` envelope ``payload`` is, or why it is not one Jeeves reads.

    ``user_change`` names its member with an object under ``user`` (every other event: an id);
    it is read as :attr:`SlackEvent.member`, with ``user`` its id.
    """
    event = payload.get("event")
    if isinstance(event, dict) and event.get("type") == "user_change":
        member = event.get("user")
        if isinstance(member, dict):
            event = {**event, "member": member, "user": member.get("id")}
            payload = {**payload, "event": event}
    try:
        return EventCallback.model_validate(payload)
    except ValidationError as exc:
        return Ignored(f"not an event we read: {exc.error_count()} invalid field(s)")


def receiver_of(envelope: EventCallback) -> Receiver:
    """The installation that received ``envelope``: from its ``authorizations`` (the bot's
    entry first), never from the envelope's ``team_id``, which in a Slack Connect channel names
    the partner organisation. An envelope without authorizations (older than Slack's 2021
    change, or a one-workspace test) falls back to the envelope's own ids.
    """
    bots = [a for a in envelope.authorizations if a.is_bot]
    candidates = bots or envelope.authorizations
    if not candidates:
        return Receiver(envelope.enterprise_id, envelope.team_id)
    authorization = candidates[0]
    team = authorization.team_id or envelope.context_team_id or envelope.team_id
    return Receiver(
        enterprise_id=authorization.enterprise_id,
        team_id=team,
        is_enterprise_install=authorization.is_enterprise_install,
        bot_user_id=authorization.user_id if authorization.is_bot else None,
    )


def to_action(
    payload: dict[str, Any], *, bot_user_id: str = "", bot_id: str = ""
) -> Action | Ignored:
    """Turn an ``event_callback`` payload into the action it asks for, or say why not.

    ``bot_user_id`` and ``bot_id`` are the receiving installation's bot (to recognise its own
    messages); without them the bot user is read from the envelope's ``authorizations``.
    """
    envelope = read_envelope(payload)
    if isinstance(envelope, Ignored):
        return envelope
    return envelope_action(envelope, bot_user_id=bot_user_id, bot_id=bot_id)


def envelope_action(
    envelope: EventCallback, *, bot_user_id: str = "", bot_id: str = ""
) -> Action | Ignored:
    """:func:`to_action` of an envelope already read (the front door reads it once)."""
    receiver = receiver_of(envelope)
    event = envelope.event
    if event.type in LIFECYCLE_EVENTS:
        return lifecycle_action(envelope, receiver)
    bot = bot_user_id or receiver.bot_user_id or ""
    reason = _ignore_reason(event, bot, bot_id)
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
        id=action_id(receiver.team_id, event.channel, event.ts, envelope.event_id),
        command=parsed.command,
        args=parsed.args,
        text=plain,
        conversation=Conversation(
            origin="slack",
            team_id=receiver.team_id,
            enterprise_id=receiver.enterprise_id,
            is_enterprise_install=receiver.is_enterprise_install,
            user_team_id=event.user_team or event.team or receiver.team_id,
            channel_id=event.channel,
            user_id=event.user,
            thread_ts=event.thread_ts,
            is_direct_message=event.type == "message",
        ),
    )


def lifecycle_action(envelope: EventCallback, receiver: Receiver) -> Action | Ignored:
    """The action of an installation's lifecycle event (:data:`LIFECYCLE_EVENTS`).

    Its ``command`` is the event type, its ``args`` the workspace ids of a
    ``team_access_*`` event (space-separated); it names no channel or user, so nothing is
    answered. ``tokens_revoked`` of user tokens only (Jeeves holds none) is ignored.
    ``user_change`` names the member (``user_id``, ``user_team_id``) and lists in ``args`` the
    roles of :data:`~jeeves_shared.messages.SLACK_ROLES` they hold (a primary owner is an
    owner).
    """
    event = envelope.event
    args = ""
    if event.type == "tokens_revoked" and not (event.tokens and event.tokens.bot):
        return Ignored("tokens_revoked of user tokens only")
    if event.type == "user_change":
        return _member_action(envelope, receiver)
    if event.type in ("team_access_granted", "team_access_revoked"):
        args = " ".join(event.team_ids)
    return Action(
        id=f"{event.type}:{envelope.event_id}",
        command=event.type,
        args=args,
        conversation=Conversation(
            origin="slack",
            team_id=receiver.team_id,
            enterprise_id=receiver.enterprise_id,
            is_enterprise_install=receiver.is_enterprise_install,
            channel_id="",
            user_id="",
        ),
    )


def _member_action(envelope: EventCallback, receiver: Receiver) -> Action | Ignored:
    member = envelope.event.member
    if member is None:
        return Ignored("user_change without its user")
    held = {
        "is_admin": member.is_admin,
        "is_owner": member.is_owner or member.is_primary_owner,
    }
    # Roles are dated by Slack's clock, not ours: a retried older event must not undo a newer
    # one (the Data Service keeps the newest, see ``roles_as_of``).
    said_at = (
        datetime.fromtimestamp(envelope.event_time, UTC)
        if envelope.event_time
        else datetime.now(UTC)
    )
    return Action(
        id=f"user_change:{envelope.event_id}",
        command="user_change",
        created_at=said_at,
        args=" ".join(role for role in SLACK_ROLES if held[role]),
        conversation=Conversation(
            origin="slack",
            team_id=receiver.team_id,
            enterprise_id=receiver.enterprise_id,
            is_enterprise_install=receiver.is_enterprise_install,
            user_team_id=member.team_id or receiver.team_id,
            channel_id="",
            user_id=member.id,
        ),
    )


def action_id(team_id: str, channel: str, ts: str | None, event_id: str) -> str:
    """The id of the action a Slack message asks for: one per message, not per delivery.

    Slack keeps ``event_id`` across its retries, but one message can also arrive as two events
    (``app_mention`` and ``message.*`` when both are subscribed), with two ``event_id`` values
    and the same channel and ``ts``. Keyed on the message, both deliveries are the same action,
    and every consumer's claim (keyed on ids derived from it) makes the second a no-op.
    ``team_id`` is the receiving installation's workspace (:class:`Receiver`).
    """
    if not ts:
        return event_id
    return f"slack:{team_id}:{channel}:{ts}"


def _ignore_reason(event: SlackEvent, bot_user_id: str, bot_id: str) -> str | None:
    if event.type not in {kind for kind, _ in SUBSCRIPTIONS.values()}:
        return f"event type {event.type}"
    if not any(
        event.type == kind and where in (None, event.channel_type)
        for kind, where in SUBSCRIPTIONS.values()
    ):
        return "message outside a direct message (mentions arrive as app_mention)"
    if (bot_user_id and event.user == bot_user_id) or (bot_id and event.bot_id == bot_id):
        return "the bot's own message"
    if event.bot_id:
        return "another bot's message" if bot_user_id else "a bot's message"
    if event.subtype and event.subtype not in _USER_SUBTYPES:
        return f"message subtype {event.subtype}"
    if not event.user or not event.channel:
        return "no user or channel"
    return None
