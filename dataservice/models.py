"""The database schema, as SQLAlchemy 2 declarative models.

The schema itself is created and changed only by the Alembic migrations in
:mod:`dataservice.migrations`; these models must match the newest migration (a test checks it).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

#: Explicit constraint names, so migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        """Store UTC; refuse naive datetimes, which are ambiguous."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UtcDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        """Read back an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Workspace(Base):
    """A Slack workspace (team) Jeeves is installed in, or has seen events from."""

    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    bot_user_id: Mapped[str | None] = mapped_column(String(32))
    bot_id: Mapped[str | None] = mapped_column(String(32))
    #: Fernet ciphertext of the ``xoxb-`` token; never the plaintext.
    bot_token_encrypted: Mapped[str | None] = mapped_column(Text)
    #: OAuth scopes granted at install, as a JSON list of strings.
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_installed: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The workspace's admins can switch Jeeves' daily weather alerts off for everyone in it
    #: (the scheduler's due-alerts claim skips its users while off).
    daily_alerts_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Bumped by every write; the ETag of the resource.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Installation(Base):
    """Jeeves installed in a Slack workspace, or org-wide in an Enterprise Grid org.

    Keyed by (``enterprise_id``, ``team_id``), each ``""`` when absent (an org-wide install has
    no team; outside Enterprise Grid there is no enterprise): ``""`` rather than NULL so that
    the unique constraint holds on every backend (NULLs are all distinct in one). Users are not
    tied to it but to their workspace: they outlive an uninstall.
    """

    __tablename__ = "installations"
    __table_args__ = (UniqueConstraint("enterprise_id", "team_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(String(32), default="")
    team_id: Mapped[str] = mapped_column(String(32), default="")
    is_enterprise_install: Mapped[bool] = mapped_column(Boolean, default=False)
    app_id: Mapped[str | None] = mapped_column(String(32))
    bot_user_id: Mapped[str] = mapped_column(String(32))
    bot_id: Mapped[str | None] = mapped_column(String(32))
    #: OAuth scopes granted to the bot, as a JSON list of strings.
    bot_scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    installer_user_id: Mapped[str | None] = mapped_column(String(32))
    #: Fernet ciphertexts of the bot token and its refresh token; NULL once inactive.
    bot_token_encrypted: Mapped[str | None] = mapped_column(Text)
    bot_refresh_token_encrypted: Mapped[str | None] = mapped_column(Text)
    #: When the bot token expires (token rotation on); NULL: it does not.
    bot_token_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Why it became inactive (``app_uninstalled``, ``tokens_revoked``, ``refresh_refused``...).
    inactive_reason: Mapped[str | None] = mapped_column(String(64))
    installed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    uninstalled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class User(Base):
    """A Slack user of one workspace, and what Jeeves remembers about them."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("workspace_id", "slack_user_id"),
        # Keyset pagination of a workspace's users: WHERE workspace_id = ? AND id > ? ORDER BY id.
        Index("ix_users_workspace_id_id", "workspace_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    slack_user_id: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str] = mapped_column(String(255), default="")
    location: Mapped[str | None] = mapped_column(String(255))
    timezone: Mapped[str | None] = mapped_column(String(64))
    units: Mapped[str] = mapped_column(String(16), default="metric")
    #: Slack's ``is_admin`` and ``is_owner`` (``users.info``, ``user_change``): an admin or owner
    #: may see and manage their workspace on the dashboard.
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_owner: Mapped[bool] = mapped_column(Boolean, default=False)
    #: When those two were last stored from Slack (a sign-in, or a ``user_change`` that
    #: changed them); ``None``: never.
    roles_checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: The daily weather alert: on or off, at ``alert_time`` ("HH:MM") local to ``timezone``.
    alerts_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    alert_time: Mapped[str | None] = mapped_column(String(5))
    #: When the alert fires next (UTC); ``None`` while alerts are off. The scheduler's index.
    next_alert_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    #: Which scheduler has claimed the due alert, and until when.
    alert_lease_owner: Mapped[str | None] = mapped_column(String(100))
    alert_lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class UserSetting(Base):
    """One free-form key/value setting of a user (a row per key, so one key changes alone)."""

    __tablename__ = "user_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ReplyClaim(Base):
    """A reply id the Slack poster has claimed; the primary key makes the claim atomic.

    A claim is ``pending`` while its holder posts the reply, until ``lease_until``: after that
    another claimer may take it over; then ``done``. (The table keeps its first name, from when
    it held Slack event ids: renaming it would need a migration and buys nothing.)
    """

    __tablename__ = "processed_events"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'done')", name="status"),
        # A workspace's answers of the last day (the admin view): WHERE team_id = ? AND
        # first_seen >= ?.
        Index("ix_processed_events_team_id_first_seen", "team_id", "first_seen"),
    )

    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    #: The ``sub`` of the token that claimed it (which service), for debugging.
    claimed_by: Mapped[str] = mapped_column(String(128), default="")
    #: The claimer's ``Idempotency-Key``: the same key claiming again is a retry, not a rival.
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    #: ``pending`` (leased) or ``done``.
    status: Mapped[str] = mapped_column(String(16), default="done")
    #: Until when a ``pending`` claim is its holder's; ``None`` once ``done``.
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: The holder took it over from another whose lease ended (who may have done the work);
    #: kept so that the holder's retried claim is told so again.
    taken_over: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The workspace whose action the reply answers (the installation's team); ``None`` for
    #: claims made before it was recorded, or by a poster that does not send it.
    team_id: Mapped[str | None] = mapped_column(String(32))


class Reminder(Base):
    """Something to tell a user at ``due_at``, in ``channel_id`` (and ``thread_ts``)."""

    __tablename__ = "reminders"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered', 'cancelled')", name="status"),
        # A user's pending reminders by due date: the list, and the count of the limit.
        Index("ix_reminders_user_id_status_due_at", "user_id", "status", "due_at"),
        # The scheduler's scan: pending reminders due by now, oldest first.
        Index("ix_reminders_status_due_at", "status", "due_at"),
        # A creation retried with the same key finds the reminder it made.
        UniqueConstraint("user_id", "request_key", name="uq_reminders_user_id_request_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(500))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    channel_id: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    #: ``pending``, then ``delivered`` or ``cancelled``.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    #: Which scheduler has claimed it for delivery, and until when.
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: The creator's ``Idempotency-Key`` (the action id), so a redelivered action is a no-op.
    request_key: Mapped[str | None] = mapped_column(String(200))


class Session(Base):
    """A dashboard sign-in: the front door's cookie carries the session id, this row says
    whose it is and whether it still holds (not expired, not revoked), for every replica."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: SHA-256 (hex) of the session id: the id itself is never stored, so a copy of the
    #: database holds no cookie that works.
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The workspace's name as Slack gave it at sign-in, to show on the dashboard.
    team_name: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: When it was signed out (or revoked); ``None`` while it holds.
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
