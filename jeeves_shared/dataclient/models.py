"""What :class:`~jeeves_shared.dataclient.DataServiceClient` returns: the Data Service's answers.

Import them from :mod:`jeeves_shared.dataclient`, which re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict


class _Answer(BaseModel):
    # Fields the service adds later must not break older workers.
    model_config = ConfigDict(extra="ignore", frozen=True)


class User(_Answer):
    """A user record; ``etag`` comes from the response header, for ``if_match``.

    ``next_alert_at`` is when the daily alert fires next (UTC), ``None`` while alerts are off.
    """

    id: int
    team_id: str
    slack_user_id: str
    display_name: str
    location: str | None
    timezone: str | None
    units: str
    is_admin: bool
    settings: dict[str, str]
    version: int
    created_at: datetime
    updated_at: datetime
    alerts_enabled: bool = False
    alert_time: str | None = None
    next_alert_at: datetime | None = None
    etag: str | None = None


class Workspace(_Answer):
    """A workspace record (never with its token)."""

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
    etag: str | None = None


class UserPage(_Answer):
    """One page of users; ``next_cursor`` is ``None`` on the last."""

    items: list[User]
    next_cursor: int | None


class WorkspacePage(_Answer):
    """One page of workspaces."""

    items: list[Workspace]
    next_cursor: int | None


class Reminder(_Answer):
    """A reminder: ``text`` for user ``user_id`` at ``due_at`` (UTC), in ``channel_id``."""

    id: int
    user_id: int
    text: str
    due_at: datetime
    channel_id: str
    thread_ts: str | None
    status: Literal["pending", "delivered", "cancelled"]
    created_at: datetime
    delivered_at: datetime | None


class DueReminder(Reminder):
    """A reminder claimed for delivery, with its user's Slack ids."""

    team_id: str
    slack_user_id: str


class DueAlert(_Answer):
    """A daily weather alert claimed for sending: to whom, for where, in which units."""

    user_id: int
    team_id: str
    slack_user_id: str
    due_at: datetime
    timezone: str | None
    location: str | None
    units: str


class Claimed(_Answer):
    """What one claim leased to the caller; report each item done when delivered."""

    reminders: list[DueReminder]
    alerts: list[DueAlert]


@dataclass(frozen=True, slots=True)
class EventLease:
    """The outcome of a leased claim: ``acquired`` (the caller holds it: do the work, then
    finish or release it), ``done`` (someone finished it: skip it) or ``held`` (someone else
    holds it, for ``retry_after`` more seconds; 0 unless ``held``).

    ``taken_over``: acquired from another claimer whose lease had ended, who may have done the
    work before dying (a retry whose first answer was lost is told so again).
    """

    state: Literal["acquired", "done", "held"]
    retry_after: float = 0.0
    taken_over: bool = False
