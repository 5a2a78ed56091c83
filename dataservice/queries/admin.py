"""A workspace as its Slack admins see it on the dashboard, and the switch of its daily alerts.

Every function starts from the signed-in user's row and re-reads their Slack roles there, in
the same transaction as the rest: a demotion (``user_change``) is obeyed at the next call. The
workspace is always the user's own; nothing here takes a workspace or user id from outside.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import distinct, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from dataservice.errors import NotWorkspaceAdmin, RecordNotFound
from dataservice.models import Installation, ReplyClaim, User, Workspace
from dataservice.queries.installations import to_installation
from dataservice.queries.shared import columns_for
from dataservice.queries.users import reschedule_alert
from jeeves_shared.dataclient import models as wire

#: How many of a workspace's users the view lists (it counts them all).
USERS_SHOWN = 100
#: "Answered in the last day".
ANSWER_WINDOW = timedelta(hours=24)
#: Reply ids are ``reply-<16 hex digits of the action>-<part>`` (jeeves_shared.messages.reply_id):
#: their first 22 characters name the action, so one answer of several parts counts once.
_REPLY_PREFIX = "reply-"
_ACTION_OF_REPLY = len(_REPLY_PREFIX) + 16

_MEMBER_COLUMNS = columns_for(wire.WorkspaceMember, User)


async def admin_workspace_id(conn: AsyncConnection, user_id: int) -> tuple[int, str, bool]:
    """The user's workspace (row id, team id, daily alerts on) if they are one of its Slack
    admins or owners; :class:`NotWorkspaceAdmin` otherwise."""
    found = await conn.execute(
        select(
            User.is_admin,
            User.is_owner,
            Workspace.id,
            Workspace.team_id,
            Workspace.daily_alerts_enabled,
        )
        .join(Workspace, Workspace.id == User.workspace_id)
        .where(User.id == user_id)
    )
    row = found.first()
    if row is None:
        raise RecordNotFound("user", user_id)
    if not (row.is_admin or row.is_owner):
        raise NotWorkspaceAdmin
    return row.id, row.team_id, row.daily_alerts_enabled


async def my_workspace(
    conn: AsyncConnection, user_id: int, *, team_name: str, now: datetime
) -> wire.MyWorkspace:
    """The admin's workspace: its installation, its users, its answers of the last day.

    :class:`NotWorkspaceAdmin` unless ``user_id`` is an admin or owner of it.
    """
    workspace_id, team_id, alerts_on = await admin_workspace_id(conn, user_id)
    installation = (
        await conn.execute(
            select(*columns_for(wire.Installation, Installation))
            .where(Installation.team_id == team_id)
            # One team may have a workspace install and (in a Grid org) an older one: the
            # active, most recently changed one is the one serving it.
            .order_by(Installation.active.desc(), Installation.updated_at.desc())
            .limit(1)
        )
    ).first()
    user_count = (
        await conn.execute(select(func.count()).where(User.workspace_id == workspace_id))
    ).scalar_one()
    members = await conn.execute(
        select(*_MEMBER_COLUMNS)
        .where(User.workspace_id == workspace_id)
        .order_by(User.id)
        .limit(USERS_SHOWN)
    )
    answered = (
        await conn.execute(
            select(
                func.count(distinct(func.substr(ReplyClaim.event_id, 1, _ACTION_OF_REPLY)))
            ).where(
                ReplyClaim.team_id == team_id,
                ReplyClaim.first_seen >= now - ANSWER_WINDOW,
                ReplyClaim.status == "done",
                ReplyClaim.event_id.startswith(_REPLY_PREFIX, autoescape=True),
            )
        )
    ).scalar_one()
    return wire.MyWorkspace(
        team_id=team_id,
        team_name=team_name,
        daily_alerts_enabled=alerts_on,
        installation=None if installation is None else to_installation(installation),
        user_count=user_count,
        users=[wire.WorkspaceMember.model_validate(row._mapping) for row in members],
        users_shown=USERS_SHOWN,
        answered_last_day=answered,
        as_of=now,
    )


async def set_workspace_alerts(
    conn: AsyncConnection, user_id: int, *, enabled: bool, now: datetime
) -> None:
    """Switch the daily weather alerts of the admin's workspace on or off.

    Each user's own alert settings are kept. Switched back on, the alerts that fell due while
    it was off are moved to their next time after ``now``, so that nobody gets a stale one.
    :class:`NotWorkspaceAdmin` unless ``user_id`` is an admin or owner of the workspace.
    """
    workspace_id, _team_id, was_on = await admin_workspace_id(conn, user_id)
    await conn.execute(
        update(Workspace)
        .where(Workspace.id == workspace_id)
        .values(daily_alerts_enabled=enabled, version=Workspace.version + 1, updated_at=now)
    )
    if enabled and not was_on:
        stale = await conn.execute(
            select(User.id).where(
                User.workspace_id == workspace_id,
                User.alerts_enabled,
                User.next_alert_at <= now,
            )
        )
        for stale_id in stale.scalars().all():
            await reschedule_alert(conn, stale_id, after=now)
