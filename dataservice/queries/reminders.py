"""Reminders as their users see them: create, list the pending ones, cancel."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from dataservice.errors import RecordNotFound, TooManyReminders
from dataservice.models import Reminder, User
from dataservice.queries.shared import columns_for, insert_ignoring_conflicts
from jeeves_shared.dataclient import models as wire

#: Pending reminders one user may have at once.
MAX_PENDING_REMINDERS = 100


REMINDER_COLUMNS = columns_for(wire.Reminder, Reminder)

_PENDING_COUNT = select(func.count()).where(Reminder.status == "pending")
# The user row with their pending reminders, in one round trip: no reminder columns (a row of
# NULLs) when they have none, no row at all when there is no such user.
_PENDING_OF_USER = (
    select(User.id.label("known_user_id"), *REMINDER_COLUMNS)
    .outerjoin(Reminder, and_(Reminder.user_id == User.id, Reminder.status == "pending"))
    .order_by(Reminder.due_at, Reminder.id)
)


async def create_reminder(
    conn: AsyncConnection,
    user_id: int,
    values: Mapping[str, Any],
    *,
    now: datetime,
    request_key: str | None = None,
) -> tuple[wire.Reminder, bool]:
    """Store a pending reminder (``text``, ``due_at``, ``channel_id``, ``thread_ts``) and say
    it is new; or, when the user has one made with ``request_key`` already (a retried or
    redelivered request), return that one as it is now, and say it is not.

    :class:`RecordNotFound` if there is no such user, :class:`TooManyReminders` if they already have
    :data:`MAX_PENDING_REMINDERS` pending (the caller's transaction must roll back).
    """
    # A write that changes nothing, first: it locks the user row (PostgreSQL) or takes the
    # write lock (SQLite), so concurrent creations for one user count one after the other.
    locked = await conn.execute(update(User).where(User.id == user_id).values(version=User.version))
    if locked.rowcount == 0:
        raise RecordNotFound("user", user_id)
    stmt = (
        insert_ignoring_conflicts(conn, Reminder)
        .values(
            **values, user_id=user_id, status="pending", created_at=now, request_key=request_key
        )
        .returning(*REMINDER_COLUMNS)
    )
    row = (await conn.execute(stmt)).first()
    if row is None:  # only (user_id, request_key) can conflict: it was made already
        return await _made_with(conn, user_id, request_key), False
    pending = await conn.execute(_PENDING_COUNT.where(Reminder.user_id == user_id))
    if pending.scalar_one() > MAX_PENDING_REMINDERS:
        raise TooManyReminders(user_id, MAX_PENDING_REMINDERS)  # the caller rolls back
    return wire.Reminder.model_validate(row._mapping), True


async def _made_with(conn: AsyncConnection, user_id: int, request_key: str | None) -> wire.Reminder:
    found = await conn.execute(
        select(*REMINDER_COLUMNS).where(
            Reminder.user_id == user_id, Reminder.request_key == request_key
        )
    )
    return wire.Reminder.model_validate(found.one()._mapping)


async def list_pending_reminders(conn: AsyncConnection, user_id: int) -> list[wire.Reminder]:
    """The user's pending reminders, soonest first; :class:`RecordNotFound` if there is no
    such user."""
    rows = (await conn.execute(_PENDING_OF_USER.where(User.id == user_id))).all()
    if not rows:
        raise RecordNotFound("user", user_id)
    return [wire.Reminder.model_validate(row._mapping) for row in rows if row.id is not None]


async def cancel_reminder(conn: AsyncConnection, user_id: int, reminder_id: int) -> None:
    """Cancel a pending reminder of this user; :class:`RecordNotFound` for anything else (another
    user's, no longer pending, unknown), so nobody learns about others' reminders."""
    stmt = (
        update(Reminder)
        .where(
            Reminder.id == reminder_id,
            Reminder.user_id == user_id,
            Reminder.status == "pending",
        )
        .values(status="cancelled", lease_owner=None, lease_until=None)
    )
    if (await conn.execute(stmt)).rowcount == 0:
        raise RecordNotFound("pending reminder", reminder_id)
