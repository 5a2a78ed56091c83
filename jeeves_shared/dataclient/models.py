"""The Data Service's answers on the wire, declared once for both sides.

The Data Service validates its query rows straight into these models and serialises them (they
are also the response schemas of its OpenAPI document); :class:`~jeeves_shared.dataclient.
DataServiceClient` validates the JSON it receives into the same classes. Adding a field to an
answer is one edit here, plus its column (the migration, and the table in
:mod:`dataservice.models`): the queries select a model's fields by name
(:func:`dataservice.queries.shared.columns_for`).

Every model ignores fields it does not know, so that the service can add one without breaking
workers that are older than it. Import them from :mod:`jeeves_shared.dataclient`, which
re-exports them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic.json_schema import SkipJsonSchema

#: How a user wants measurements: OpenWeatherMap's ``units`` parameter.
Units = Literal["metric", "imperial", "standard"]
ReminderStatus = Literal["pending", "delivered", "cancelled"]
#: A reply claim's state: ``pending`` while its holder posts the reply, then ``done``.
ClaimStatus = Literal["pending", "done"]


class WireModel(BaseModel):
    """Base of every answer: frozen, and lenient on fields added by a newer service."""

    model_config = ConfigDict(extra="ignore", frozen=True, from_attributes=True)


#: The ``ETag`` header of the answer, folded in by the client for ``if_match``: not part of the
#: JSON body (never serialised, absent from the schema).
ETag = SkipJsonSchema[str | None]


# --- errors -------------------------------------------------------------------------------------


class ErrorDetail(WireModel):
    """One problem with the input: where (``loc``) and what."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(WireModel):
    """Every error response; the auth errors use the same two first fields (RFC 6750)."""

    error: str
    error_description: str
    details: list[ErrorDetail] | None = None


# --- users and workspaces -----------------------------------------------------------------------


class User(WireModel):
    """A user as the API shows it; ``etag`` (client side) comes from the answer's header.

    ``next_alert_at`` is when the daily alert fires next (UTC), ``None`` while alerts are off.
    """

    id: int
    team_id: str
    slack_user_id: str
    display_name: str
    location: str | None
    timezone: str | None
    units: Units
    #: Slack's ``is_admin`` and ``is_owner`` of the user, as last heard from Slack
    #: (``roles_checked_at``, UTC; ``None``: never asked).
    is_admin: bool
    is_owner: bool = False
    roles_checked_at: datetime | None = None
    settings: dict[str, str]
    version: int
    created_at: datetime
    updated_at: datetime
    alerts_enabled: bool
    alert_time: str | None
    next_alert_at: datetime | None
    etag: ETag = Field(default=None, exclude=True)


class UserPage(WireModel):
    """One page of users, oldest first; pass ``next_cursor`` back as ``cursor`` for the next
    (``None`` on the last page)."""

    items: list[User]
    next_cursor: int | None


class Workspace(WireModel):
    """A workspace as the API shows it: whether it has a bot token, never the token."""

    team_id: str
    name: str
    bot_user_id: str | None
    bot_id: str | None
    has_bot_token: bool
    scopes: list[str]
    is_installed: bool
    is_active: bool
    version: int
    created_at: datetime
    updated_at: datetime
    etag: ETag = Field(default=None, exclude=True)


class WorkspacePage(WireModel):
    """One page of workspaces."""

    items: list[Workspace]
    next_cursor: int | None


class WorkspaceBotToken(WireModel):
    """A workspace's stored bot token, decrypted (scope ``workspaces:tokens`` only).

    Superseded by the installations' tokens (:class:`BotToken`), which is what workers use.
    """

    team_id: str
    bot_token: str


# --- installations ------------------------------------------------------------------------------


class Installation(WireModel):
    """Jeeves installed in one Slack workspace, or org-wide in an Enterprise Grid org
    (``is_enterprise_install``, ``team_id`` ``None``); never its tokens.

    Keyed by (``enterprise_id``, ``team_id``); ``enterprise_id`` is ``None`` outside Enterprise
    Grid. ``bot_user_id`` and ``bot_id`` recognise the bot's own messages (``bot_id`` comes from
    ``auth.test``). ``active`` is false once uninstalled, its tokens revoked, or its token
    refresh refused (``inactive_reason`` says which); saving it again reactivates it. Times are
    UTC: ``installed_at`` the latest (re)install, ``uninstalled_at`` the latest deactivation.
    """

    enterprise_id: str | None
    team_id: str | None
    is_enterprise_install: bool
    app_id: str | None
    bot_user_id: str
    bot_id: str | None
    bot_scopes: list[str]
    installer_user_id: str | None
    active: bool
    inactive_reason: str | None = None
    installed_at: datetime
    updated_at: datetime
    uninstalled_at: datetime | None


class NewInstallation(BaseModel):
    """What an install (``oauth.v2.access`` and ``auth.test``) learnt, for
    :meth:`~jeeves_shared.dataclient.DataServiceClient.save_installation`.

    ``bot_token`` is any bot token Slack issues (``xoxb-...``, or ``xoxe.xoxb-...`` with token
    rotation on, then with ``bot_refresh_token`` (``xoxe-...``) and ``bot_token_expires_at``,
    timezone-aware). Scopes are Slack's (``chat:write``...). Secrets stay
    :class:`~pydantic.SecretStr` until the request body is written.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    enterprise_id: str | None = None
    team_id: str | None = None
    is_enterprise_install: bool = False
    app_id: str | None = None
    bot_user_id: str
    bot_id: str | None = None
    bot_scopes: list[str] = Field(default_factory=list)
    installer_user_id: str | None = None
    bot_token: SecretStr
    bot_refresh_token: SecretStr | None = None
    bot_token_expires_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """The request body, secrets revealed (sent only to the Data Service, over its TLS)."""
        body = self.model_dump(mode="json")
        body["bot_token"] = self.bot_token.get_secret_value()
        if self.bot_refresh_token is not None:
            body["bot_refresh_token"] = self.bot_refresh_token.get_secret_value()
        return body


class BotToken(WireModel):
    """A bot token of one installation, valid at least as long as asked (scope
    ``installations:token`` only). ``expires_at`` (UTC) is ``None`` for a token that does not
    expire (token rotation off)."""

    token: str = Field(repr=False)
    expires_at: datetime | None
    bot_user_id: str
    bot_id: str | None


# --- reminders and the scheduler ----------------------------------------------------------------


class Reminder(WireModel):
    """A reminder: ``text`` for user ``user_id`` at ``due_at`` (UTC), in ``channel_id`` (in
    the thread ``thread_ts`` if set)."""

    id: int
    user_id: int
    text: str
    due_at: datetime
    channel_id: str
    thread_ts: str | None
    status: ReminderStatus
    created_at: datetime
    delivered_at: datetime | None


class ReminderList(WireModel):
    """A user's pending reminders, soonest first."""

    reminders: list[Reminder]


class MyReminders(WireModel):
    """A signed-in user's reminders: ``upcoming`` (pending, soonest first) and ``recent``
    (delivered or cancelled, newest first, at most 20)."""

    upcoming: list[Reminder]
    recent: list[Reminder]


# --- dashboard sessions -------------------------------------------------------------------------


class Me(WireModel):
    """The signed-in person: their ``user``, their workspace's name as Slack gave it at
    sign-in, and when their session ends (UTC) unless they sign out first."""

    user: User
    team_name: str
    expires_at: datetime


class WorkspaceMember(WireModel):
    """A user of a workspace who has used Jeeves, as the workspace's admins see them."""

    slack_user_id: str
    display_name: str
    is_admin: bool
    is_owner: bool
    alerts_enabled: bool
    #: When Jeeves first saw them (UTC).
    created_at: datetime


class MyWorkspace(WireModel):
    """The signed-in admin's own workspace (``GET /api/v1/me/workspace``).

    ``installation`` is Jeeves' installation there (``None``: none recorded for this team,
    e.g. only an org-wide one); ``daily_alerts_enabled`` is the workspace's switch of the
    daily weather alerts; ``user_count`` counts its users who have used Jeeves, ``users``
    lists the first ``users_shown`` (at most) of them, oldest first; ``answered_last_day`` counts
    the actions Jeeves answered there in the 24 hours before ``as_of`` (UTC).
    """

    team_id: str
    team_name: str
    daily_alerts_enabled: bool
    installation: Installation | None
    user_count: int
    users: list[WorkspaceMember]
    users_shown: int
    answered_last_day: int
    as_of: datetime


class SessionCreated(Me):
    """A new dashboard session; ``session_id`` is its secret (given once, stored only as a
    hash)."""

    session_id: str


class DueReminder(Reminder):
    """A claimed reminder, with the Slack ids needed to deliver it."""

    team_id: str
    slack_user_id: str


class DueAlert(WireModel):
    """A claimed daily alert: whom to send the weather, where they are and in which units."""

    user_id: int
    team_id: str
    slack_user_id: str
    due_at: datetime
    timezone: str | None
    location: str | None
    units: Units


class Claimed(WireModel):
    """What one claim leased to the caller (at most ``limit`` of each kind); report each item
    done when delivered."""

    reminders: list[DueReminder]
    alerts: list[DueAlert]


# --- reply claims (under /events: the ids are reply ids, derived from Slack events) -------------


class ReplyClaim(WireModel):
    """A reply claim the caller holds: ``done``, or ``pending`` until ``lease_until``.

    ``taken_over``: its holder took it from another claimer whose lease had ended, who may
    have done the work before dying (said again to the holder's retries). ``event_id`` is the
    reply id (the field keeps the name of the URL, ``/events/{event_id}``).
    """

    event_id: str
    first_seen: datetime
    status: ClaimStatus
    lease_until: datetime | None
    taken_over: bool = False


class ClaimConflictBody(ErrorBody):
    """409 on a reply claim: someone else's claim is ``done`` (skip the reply), or ``pending``
    until ``lease_until`` (the answer's ``Retry-After`` says in how many seconds)."""

    status: ClaimStatus
    lease_until: datetime | None = None


class LeaseOutcome(WireModel):
    """What a leased reply claim came to: ``acquired`` (the caller holds it: post, then finish
    or release it; ``taken_over`` from a holder whose lease ended, who may have posted before
    dying), ``done`` (someone finished it: skip it) or ``held`` (by another, ``retry_after``
    seconds more; 0 unless ``held``)."""

    event_id: str
    status: Literal["acquired", "done", "held"]
    retry_after: int = 0
    taken_over: bool = False


class LeaseOutcomes(WireModel):
    """One outcome per claim asked, in the order asked."""

    results: list[LeaseOutcome]


class DoneOutcome(WireModel):
    """What reporting a reply claim done came to: ``done``; ``taken`` (another claimer took it
    over after the lease ended: it will post again) or ``not_found`` (no claim: it was
    released)."""

    event_id: str
    status: Literal["done", "taken", "not_found"]


class DoneOutcomes(WireModel):
    """One outcome per claim reported, in the order reported."""

    results: list[DoneOutcome]
