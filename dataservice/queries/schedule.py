"""What the scheduler claims: due reminders and due daily alerts, each under a lease.

A claim is one ``UPDATE ... WHERE id IN (SELECT ... FOR NO KEY UPDATE SKIP LOCKED) RETURNING``
guarded by "due, and the lease is free": on PostgreSQL concurrent claimers skip the rows another
is claiming, and re-check the lease of rows freed meanwhile; SQLite ignores the locking clause
and serialises the writers, so the second claimer sees the first one's leases. Either way no two
claimers ever lease the same item at once. A lease that expires (its holder died) frees the item
for the next claim; finishing it needs the lease to be the caller's, or free.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NoReturn

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import InstrumentedAttribute

from dataservice.errors import LeaseLost, RecordNotFound
from dataservice.models import Reminder, User, Workspace
from dataservice.queries.reminders import REMINDER_COLUMNS
from dataservice.queries.users import get_user, reschedule_alert
from jeeves_shared.dataclient import models as wire


def _is_free(lease_until: InstrumentedAttribute[Any], now: datetime) -> ColumnElement[bool]:
    return or_(lease_until.is_(None), lease_until < now)


def _is_free_or_held_by(
    lease_owner: InstrumentedAttribute[Any],
    lease_until: InstrumentedAttribute[Any],
    owner: str,
    now: datetime,
) -> ColumnElement[bool]:
    return or_(lease_owner == owner, _is_free(lease_until, now))


async def claim_due_reminders(
    conn: AsyncConnection, *, owner: str, now: datetime, lease: timedelta, limit: int
) -> list[wire.DueReminder]:
    """Lease to ``owner`` until ``now + lease`` up to ``limit`` pending reminders due by ``now``
    whose lease is free, oldest first."""
    due = (
        select(Reminder.id)
        .where(
            Reminder.status == "pending",
            Reminder.due_at <= now,
            _is_free(Reminder.lease_until, now),
        )
        .order_by(Reminder.due_at, Reminder.id)
        .limit(limit)
        .with_for_update(skip_locked=True, key_share=True)
    )
    claim = (
        update(Reminder)
        .where(Reminder.id.in_(due))
        .values(lease_owner=owner, lease_until=now + lease)
        .returning(Reminder.id)
    )
    claimed = (await conn.execute(claim)).scalars().all()
    if not claimed:
        return []
    rows = await conn.execute(
        select(*REMINDER_COLUMNS, Workspace.team_id, User.slack_user_id)
        .join(User, User.id == Reminder.user_id)
        .join(Workspace, Workspace.id == User.workspace_id)
        .where(Reminder.id.in_(claimed))
        .order_by(Reminder.due_at, Reminder.id)
    )
    return [wire.DueReminder.model_validate(row._mapping) for row in rows]


async def claim_due_alerts(
    conn: AsyncConnection, *, owner: str, now: datetime, lease: timedelta, limit: int
) -> list[wire.DueAlert]:
    """Lease to ``owner`` until ``now + lease`` up to ``limit`` daily alerts due by ``now``
    whose lease is free, oldest first; none of a workspace whose admins switched its daily
    alerts off (``workspaces.daily_alerts_enabled``)."""
    # Few workspaces switch alerts off: excluding them is a small subquery, and the scan
    # stays on the next_alert_at index.
    switched_off = select(Workspace.id).where(Workspace.daily_alerts_enabled.is_(False))
    due = (
        select(User.id)
        .where(
            User.alerts_enabled,
            User.next_alert_at <= now,
            _is_free(User.alert_lease_until, now),
            User.workspace_id.not_in(switched_off),
        )
        .order_by(User.next_alert_at, User.id)
        .limit(limit)
        .with_for_update(skip_locked=True, key_share=True)
    )
    claim = (
        update(User)
        .where(User.id.in_(due))
        .values(alert_lease_owner=owner, alert_lease_until=now + lease)
        .returning(User.id)
    )
    claimed = (await conn.execute(claim)).scalars().all()
    if not claimed:
        return []
    rows = await conn.execute(
        select(
            User.id.label("user_id"),
            Workspace.team_id,
            User.slack_user_id,
            User.next_alert_at.label("due_at"),
            User.timezone,
            User.location,
            User.units,
        )
        .join(Workspace, Workspace.id == User.workspace_id)
        .where(User.id.in_(claimed))
        .order_by(User.next_alert_at, User.id)
    )
    return [wire.DueAlert.model_validate(row._mapping) for row in rows]


async def finish_reminder(
    conn: AsyncConnection, reminder_id: int, *, owner: str, now: datetime
) -> wire.Reminder:
    """Mark a pending reminder delivered at ``now``.

    :class:`LeaseLost` if another owner holds a live lease on it or it is no longer pending;
    :class:`RecordNotFound` if there is no such reminder.
    """
    stmt = (
        update(Reminder)
        .where(
            Reminder.id == reminder_id,
            Reminder.status == "pending",
            _is_free_or_held_by(Reminder.lease_owner, Reminder.lease_until, owner, now),
        )
        .values(status="delivered", delivered_at=now, lease_owner=owner, lease_until=None)
        .returning(*REMINDER_COLUMNS)
    )
    row = (await conn.execute(stmt)).first()
    if row is None:
        await _raise_lost_or_missing(conn, Reminder.id, reminder_id, kind="reminder")
    return wire.Reminder.model_validate(row._mapping)


async def finish_alert(
    conn: AsyncConnection, user_id: int, *, owner: str, due_at: datetime, now: datetime
) -> wire.User:
    """Record the alert due at ``due_at`` as sent: the next one is the first alert time after
    both ``now`` and ``due_at`` (an alert sent late is not followed by the ones it missed).

    :class:`LeaseLost` if another owner holds a live lease on it, or ``due_at`` is no longer
    the user's next alert (already finished, rescheduled, or alerts switched off);
    :class:`RecordNotFound` if there is no such user.
    """
    stmt = (
        update(User)
        .where(
            User.id == user_id,
            User.next_alert_at == due_at,
            _is_free_or_held_by(User.alert_lease_owner, User.alert_lease_until, owner, now),
        )
        .values(version=User.version + 1, updated_at=now)
    )
    if (await conn.execute(stmt)).rowcount == 0:
        await _raise_lost_or_missing(conn, User.id, user_id, kind="user", leased="alert of user")
    await reschedule_alert(conn, user_id, after=max(now, due_at))
    return await get_user(conn, user_id)


async def _raise_lost_or_missing(
    conn: AsyncConnection,
    column: InstrumentedAttribute[Any],
    key: int,
    *,
    kind: str,
    leased: str | None = None,
) -> NoReturn:
    """After a finish changed nothing: the lease was lost if the row exists, else 404."""
    if (await conn.execute(select(column).where(column == key))).first() is None:
        raise RecordNotFound(kind, key)
    raise LeaseLost(leased or kind, key)
