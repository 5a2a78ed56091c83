"""Dashboard sessions: created at sign-in, looked up on every signed-in call, revoked at
sign-out; and the signed-in user's reminders as the dashboard lists them."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from dataservice.errors import InvalidSession
from dataservice.models import Reminder, Session
from dataservice.queries.reminders import REMINDER_COLUMNS
from jeeves_shared.dataclient import models as wire

#: Random bytes in a session id (256 bits, as URL-safe base64: 43 characters).
SESSION_ID_BYTES = 32
#: How many delivered or cancelled reminders the dashboard shows.
RECENT_REMINDERS = 20


def hash_session_id(session_id: str) -> str:
    """The stored form of a session id: SHA-256, hex. (A fast hash is right here: the id is
    256 random bits, so there is nothing to guess offline.)"""
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass(frozen=True)
class ActiveSession:
    """A session that holds: whose it is, their workspace's name, until when."""

    user_id: int
    team_name: str
    expires_at: datetime


async def create_session(
    conn: AsyncConnection, user_id: int, *, team_name: str, lifetime: timedelta, now: datetime
) -> tuple[str, ActiveSession]:
    """A new session of ``user_id`` lasting ``lifetime``: its id (the only copy), and it."""
    session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
    session = ActiveSession(user_id, team_name, now + lifetime)
    await conn.execute(
        insert(Session).values(
            id_hash=hash_session_id(session_id),
            user_id=user_id,
            team_name=team_name,
            created_at=now,
            expires_at=session.expires_at,
        )
    )
    return session_id, session


async def find_session(conn: AsyncConnection, session_id: str, *, now: datetime) -> ActiveSession:
    """The session with this id; :class:`InvalidSession` if it is unknown, expired or revoked
    (the reason is for the logs: the answer does not tell them apart)."""
    found = await conn.execute(
        select(Session.user_id, Session.team_name, Session.expires_at, Session.revoked_at).where(
            Session.id_hash == hash_session_id(session_id)
        )
    )
    row = found.first()
    if row is None:
        raise InvalidSession("unknown")
    if row.revoked_at is not None:
        raise InvalidSession("revoked")
    if row.expires_at <= now:
        raise InvalidSession("expired")
    return ActiveSession(row.user_id, row.team_name, row.expires_at)


async def revoke_session(conn: AsyncConnection, session_id: str, *, now: datetime) -> None:
    """End the session now (signing out twice is fine)."""
    await conn.execute(
        update(Session)
        .where(Session.id_hash == hash_session_id(session_id), Session.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def list_my_reminders(conn: AsyncConnection, user_id: int) -> wire.MyReminders:
    """The user's pending reminders (soonest first) and their :data:`RECENT_REMINDERS` most
    recent delivered or cancelled ones (newest first)."""
    pending = await conn.execute(
        select(*REMINDER_COLUMNS)
        .where(Reminder.user_id == user_id, Reminder.status == "pending")
        .order_by(Reminder.due_at, Reminder.id)
    )
    done = await conn.execute(
        select(*REMINDER_COLUMNS)
        .where(Reminder.user_id == user_id, Reminder.status != "pending")
        .order_by(Reminder.due_at.desc(), Reminder.id.desc())
        .limit(RECENT_REMINDERS)
    )
    return wire.MyReminders(
        upcoming=[wire.Reminder.model_validate(row._mapping) for row in pending],
        recent=[wire.Reminder.model_validate(row._mapping) for row in done],
    )
