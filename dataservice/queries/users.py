"""Users and their settings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from dataservice.alerts import DEFAULT_ALERT_TIME, next_alert_at
from dataservice.errors import RecordNotFound
from dataservice.models import User, UserSetting, Workspace
from dataservice.queries.shared import (
    columns_for,
    insert_ignoring_conflicts,
    raise_missing_or_stale,
)
from dataservice.queries.workspaces import new_workspace_values
from jeeves_shared.dataclient import models as wire

# The settings come from their own table (see _to_user_with_settings).
_USER_COLUMNS = columns_for(
    wire.User, User, computed={"team_id": Workspace.team_id}, skip={"settings"}
)


def _to_user(row: Row[Any, *tuple[Any, ...]], settings: Mapping[str, str]) -> wire.User:
    # The row's setting columns (key, value) are not fields of the answer: ignored.
    return wire.User.model_validate({**row._mapping, "settings": dict(settings)})


# The hottest reads are built once: re-executing the same statement object skips SQLAlchemy's
# per-call result-column matching, which took ~30% of a GET's CPU when rebuilt each call.
_GET_USER = (
    select(*_USER_COLUMNS, UserSetting.key, UserSetting.value)
    .join(Workspace, Workspace.id == User.workspace_id)
    .outerjoin(UserSetting, UserSetting.user_id == User.id)
    .where(User.id == bindparam("user_id"))
)
_FIND_USER_ID = (
    select(User.id)
    .join(Workspace, Workspace.id == User.workspace_id)
    .where(Workspace.team_id == bindparam("team_id"))
    .where(User.slack_user_id == bindparam("slack_user_id"))
)


async def get_user(conn: AsyncConnection, user_id: int) -> wire.User:
    """The user ``user_id`` with their settings, in one round trip; :class:`RecordNotFound`
    if none."""
    return _to_user_with_settings(
        (await conn.execute(_GET_USER, {"user_id": user_id})).all(), user_id
    )


def read_user(conn: Connection, user_id: int) -> wire.User:
    """:func:`get_user` for :meth:`Database.read <dataservice.db.Database.read>` (the hot GET)."""
    return _to_user_with_settings(conn.execute(_GET_USER, {"user_id": user_id}).all(), user_id)


def _to_user_with_settings(rows: Sequence[Row[Any, *tuple[Any, ...]]], user_id: int) -> wire.User:
    if not rows:
        raise RecordNotFound("user", user_id)
    settings = {row.key: row.value for row in rows if row.key is not None}
    return _to_user(rows[0], settings)


async def find_user(conn: AsyncConnection, team_id: str, slack_user_id: str) -> wire.User:
    """The user known by Slack ids; :class:`RecordNotFound` if none."""
    found = await conn.execute(_FIND_USER_ID, {"team_id": team_id, "slack_user_id": slack_user_id})
    user_id = found.scalar_one_or_none()
    if user_id is None:
        raise RecordNotFound("user", f"{team_id}/{slack_user_id}")
    return await get_user(conn, user_id)


async def get_or_create_user(
    conn: AsyncConnection, *, team_id: str, slack_user_id: str, display_name: str, now: datetime
) -> tuple[wire.User, bool]:
    """The user known by Slack ids, created (with their workspace if new) when missing.

    Returns the user and whether this call created it. Safe with concurrent callers: both
    inserts ignore conflicts, and the reads after them see the winner's rows.
    """
    try:
        return await find_user(conn, team_id, slack_user_id), False
    except RecordNotFound:
        pass
    workspace_id = await _ensure_workspace(conn, team_id, now)
    stmt = insert_ignoring_conflicts(conn, User).values(
        workspace_id=workspace_id,
        slack_user_id=slack_user_id,
        display_name=display_name,
        units="metric",
        is_admin=False,
        version=1,
        created_at=now,
        updated_at=now,
    )
    created = (await conn.execute(stmt.returning(User.id))).scalar_one_or_none()
    return await find_user(conn, team_id, slack_user_id), created is not None


async def _ensure_workspace(conn: AsyncConnection, team_id: str, now: datetime) -> int:
    """The id of workspace ``team_id``, recorded (not installed) if first seen."""
    stmt = insert_ignoring_conflicts(conn, Workspace).values(**new_workspace_values(team_id, now))
    await conn.execute(stmt)
    found = await conn.execute(select(Workspace.id).where(Workspace.team_id == team_id))
    workspace_id: int = found.scalar_one()
    return workspace_id


async def update_user(
    conn: AsyncConnection,
    user_id: int,
    changes: Mapping[str, Any],
    *,
    expected_versions: set[int] | None,
    now: datetime,
) -> wire.User:
    """Apply ``changes`` (column → value) and bump the version.

    ``expected_versions`` (from ``If-Match``) makes the write conditional: if the stored
    version is not among them, :class:`VersionMismatch` and nothing changes. A new
    ``timezone`` moves the next daily alert to the alert time in that zone.

    Slack roles (``is_admin``, ``is_owner``) are stamped ``roles_checked_at``: ``now``, or
    ``roles_as_of`` (when Slack said so: ``user_change``'s ``event_time``). Roles older than
    the stored stamp are news already overtaken (a retried event, say) and are left out.
    """
    changes = dict(changes)
    as_of: datetime | None = changes.pop("roles_as_of", None)
    if ROLE_FIELDS & changes.keys():
        if as_of is None:
            changes["roles_checked_at"] = now
        elif await _roles_known_since(conn, user_id, after=as_of):
            changes = {key: value for key, value in changes.items() if key not in ROLE_FIELDS}
        else:
            changes["roles_checked_at"] = as_of
    if not changes:
        return await get_user(conn, user_id)
    await _bump_user(conn, user_id, changes, expected_versions=expected_versions, now=now)
    if "timezone" in changes:
        await reschedule_alert(conn, user_id, after=now)
    return await get_user(conn, user_id)


#: The user's Slack roles, as ``users.info`` and ``user_change`` give them.
ROLE_FIELDS = frozenset({"is_admin", "is_owner"})


async def _roles_known_since(conn: AsyncConnection, user_id: int, *, after: datetime) -> bool:
    """The stored roles were checked after ``after``. The row is locked until the transaction
    ends (PostgreSQL), so that two updates cannot both read the old stamp."""
    checked = await conn.execute(
        select(User.roles_checked_at).where(User.id == user_id).with_for_update()
    )
    stamp = checked.scalar_one_or_none()
    return stamp is not None and stamp > after


async def set_user_alerts(
    conn: AsyncConnection,
    user_id: int,
    *,
    enabled: bool,
    alert_time: str | None,
    expected_versions: set[int] | None,
    now: datetime,
) -> wire.User:
    """Switch the daily alert on (at ``alert_time``, else the stored time, else 08:00) or off,
    and schedule its next occurrence after ``now`` (none when off)."""
    changes: dict[str, Any] = {"alerts_enabled": enabled}
    if alert_time is not None:
        changes["alert_time"] = alert_time
    elif enabled:
        changes["alert_time"] = func.coalesce(User.alert_time, DEFAULT_ALERT_TIME)
    await _bump_user(conn, user_id, changes, expected_versions=expected_versions, now=now)
    await reschedule_alert(conn, user_id, after=now)
    return await get_user(conn, user_id)


async def reschedule_alert(conn: AsyncConnection, user_id: int, *, after: datetime) -> None:
    """Set the user's ``next_alert_at`` to the first alert time after ``after`` (``None`` if
    alerts are off) and free the alert's lease, which was for an occurrence now replaced.

    Call it after a write to the user row in the same transaction (that write locks the row).
    """
    found = await conn.execute(
        select(User.alerts_enabled, User.alert_time, User.timezone).where(User.id == user_id)
    )
    row = found.one()
    next_at = None
    if row.alerts_enabled and row.alert_time:
        next_at = next_alert_at(row.alert_time, row.timezone, after=after)
    await conn.execute(
        update(User)
        .where(User.id == user_id)
        .values(next_alert_at=next_at, alert_lease_owner=None, alert_lease_until=None)
    )


async def set_user_setting(
    conn: AsyncConnection,
    user_id: int,
    key: str,
    value: str,
    *,
    expected_versions: set[int] | None,
    now: datetime,
) -> wire.User:
    """Set one settings key of a user (the version bump locks the user row first)."""
    await _bump_user(conn, user_id, {}, expected_versions=expected_versions, now=now)
    await conn.execute(
        delete(UserSetting).where(UserSetting.user_id == user_id, UserSetting.key == key)
    )
    await conn.execute(insert(UserSetting).values(user_id=user_id, key=key, value=value))
    return await get_user(conn, user_id)


async def unset_user_setting(
    conn: AsyncConnection,
    user_id: int,
    key: str,
    *,
    expected_versions: set[int] | None,
    now: datetime,
) -> wire.User:
    """Remove one settings key; :class:`RecordNotFound` (and nothing changes) if it is not set."""
    await _bump_user(conn, user_id, {}, expected_versions=expected_versions, now=now)
    removed = await conn.execute(
        delete(UserSetting).where(UserSetting.user_id == user_id, UserSetting.key == key)
    )
    if removed.rowcount == 0:
        raise RecordNotFound("setting", key)
    return await get_user(conn, user_id)


async def _bump_user(
    conn: AsyncConnection,
    user_id: int,
    changes: Mapping[str, Any],
    *,
    expected_versions: set[int] | None,
    now: datetime,
) -> None:
    stmt = (
        update(User)
        .where(User.id == user_id)
        .values(**changes, version=User.version + 1, updated_at=now)
    )
    if expected_versions is not None:
        stmt = stmt.where(User.version.in_(expected_versions))
    if (await conn.execute(stmt)).rowcount == 0:
        await raise_missing_or_stale(conn, User.id, "user", user_id)


async def list_users(
    conn: AsyncConnection, *, team_id: str | None, after: int, limit: int
) -> list[wire.User]:
    """Up to ``limit`` users with an id above ``after``, by id (keyset pagination)."""
    stmt = (
        select(*_USER_COLUMNS)
        .join(Workspace, Workspace.id == User.workspace_id)
        .where(User.id > after)
        .order_by(User.id)
        .limit(limit)
    )
    if team_id is not None:
        stmt = stmt.where(Workspace.team_id == team_id)
    rows = (await conn.execute(stmt)).all()
    settings = await _settings_of(conn, [row.id for row in rows])
    return [_to_user(row, settings.get(row.id, {})) for row in rows]


async def _settings_of(conn: AsyncConnection, user_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    if not user_ids:
        return {}
    stmt = select(UserSetting.user_id, UserSetting.key, UserSetting.value).where(
        UserSetting.user_id.in_(user_ids)
    )
    found: dict[int, dict[str, str]] = {}
    for row in await conn.execute(stmt):
        found.setdefault(row.user_id, {})[row.key] = row.value
    return found
