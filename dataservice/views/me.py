"""``/api/v1/sessions`` and ``/api/v1/me``: dashboard sessions, and a signed-in user's own data.

The front door calls these with its service token (scopes ``sessions:read`` /
``sessions:write``) **and** the signed-in person's session id in the ``Jeeves-Session`` header.
Every ``/me`` operation finds the user from that session, here, so the front door can reach
only the rows of whoever is signed in: there is no user id in these paths to change, and a
reminder id of anyone else is answered 404, like one that does not exist. (The front door's
client holds no ``users:*`` or ``reminders:*`` scope: it cannot use the other endpoints.)
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import timedelta

import structlog
from quart import Response
from sqlalchemy.ext.asyncio import AsyncConnection

from dataservice import queries
from dataservice.errors import InvalidSession
from dataservice.operations import Api, Header
from dataservice.schemas.reminders import ReminderCreate
from dataservice.schemas.sessions import (
    MyProfileUpdate,
    MyWorkspaceUpdate,
    SessionCreate,
    SessionId,
)
from dataservice.schemas.types import RowId, SettingKey
from dataservice.schemas.users import AlertsUpdate, SettingValueIn
from dataservice.views.common import json_response, resources
from jeeves_shared.dataclient.models import (
    ErrorBody,
    Me,
    MyReminders,
    MyWorkspace,
    Reminder,
    SessionCreated,
    User,
)

log = structlog.get_logger(__name__)

api = Api("me", url_prefix="/api/v1")

SESSION = {
    "Jeeves-Session": Header(
        "The signed-in person's session id (from the front door's cookie); 403 "
        "`invalid_session` when it is unknown, expired or revoked.",
        SessionId,
        argument="session_id",
        required=True,
    )
}
_ERRORS = {403: ErrorBody, 422: ErrorBody}


async def _session(conn: AsyncConnection, session_id: str) -> queries.ActiveSession:
    deps = resources()
    try:
        return await queries.find_session(conn, session_id, now=deps.clock())
    except InvalidSession as exc:
        log.info("session.refused", reason=exc.reason)
        raise


async def _user_of(conn: AsyncConnection, session_id: str) -> int:
    return (await _session(conn, session_id)).user_id


@api.operation(
    "POST",
    "/sessions",
    scope="sessions:write",
    body=SessionCreate,
    summary="Start a dashboard session",
    responses={201: SessionCreated, 422: ErrorBody},
)
async def create_session(body: SessionCreate) -> Response:
    """Sign a person in: their user (created on first sight, as chat does; given Slack's
    ``timezone`` if they have none; their Slack roles ``is_admin`` and ``is_owner`` stored
    when given) and a new session lasting ``lifetime_seconds``. The answer's ``session_id`` is
    the only copy."""
    deps = resources()
    now = deps.clock()
    async with deps.database.engine.begin() as conn:
        user, _created = await queries.get_or_create_user(
            conn,
            team_id=body.team_id,
            slack_user_id=body.slack_user_id,
            display_name=body.display_name,
            now=now,
        )
        changes: dict[str, object] = {}
        if body.timezone is not None and user.timezone is None:
            changes["timezone"] = body.timezone
        if body.is_admin is not None and body.is_owner is not None:
            changes.update(is_admin=body.is_admin, is_owner=body.is_owner)
        if changes:
            user = await queries.update_user(
                conn, user.id, changes, expected_versions=None, now=now
            )
        session_id, session = await queries.create_session(
            conn,
            user.id,
            team_name=body.team_name,
            lifetime=timedelta(seconds=body.lifetime_seconds),
            now=now,
        )
    created = SessionCreated(
        session_id=session_id, user=user, team_name=session.team_name, expires_at=session.expires_at
    )
    return json_response(created, 201)


@api.operation(
    "DELETE",
    "/sessions/current",
    scope="sessions:write",
    headers=SESSION,
    summary="End a dashboard session (sign out)",
    responses={204: None, 422: ErrorBody},
)
async def revoke_session(session_id: str) -> Response:
    """Revoke the session at once, for every front-door replica; an ended one is fine."""
    deps = resources()
    async with deps.database.engine.begin() as conn:
        await queries.revoke_session(conn, session_id, now=deps.clock())
    return Response(b"", status=204)


@api.operation(
    "GET",
    "/me",
    scope="sessions:read",
    headers=SESSION,
    summary="The signed-in person",
    responses={200: Me, **_ERRORS},
)
async def get_me(session_id: str) -> Response:
    """The user whose session this is (with their settings), their workspace's name, and when
    the session ends."""
    async with resources().database.reader.connect() as conn:
        session = await _session(conn, session_id)
        user = await queries.get_user(conn, session.user_id)
    return json_response(Me(user=user, team_name=session.team_name, expires_at=session.expires_at))


@api.operation(
    "PATCH",
    "/me",
    scope="sessions:write",
    headers=SESSION,
    body=MyProfileUpdate,
    summary="Change the signed-in user's location, time zone or units",
    responses={200: User, **_ERRORS},
)
async def update_me(session_id: str, body: MyProfileUpdate) -> Response:
    """Change the fields present; a new ``timezone`` moves the next daily alert."""
    return await _write_user(
        session_id,
        functools.partial(queries.update_user, changes=body.model_dump(), expected_versions=None),
    )


@api.operation(
    "PUT",
    "/me/alerts",
    scope="sessions:write",
    headers=SESSION,
    body=AlertsUpdate,
    summary="Switch the signed-in user's daily weather alert on or off",
    responses={200: User, **_ERRORS},
)
async def set_my_alerts(session_id: str, body: AlertsUpdate) -> Response:
    """As ``PUT /users/{user_id}/alerts``, for the signed-in user."""
    return await _write_user(
        session_id,
        functools.partial(
            queries.set_user_alerts,
            enabled=body.enabled,
            alert_time=body.time,
            expected_versions=None,
        ),
    )


@api.operation(
    "PUT",
    "/me/settings/{key}",
    scope="sessions:write",
    params={"key": SettingKey},
    headers=SESSION,
    body=SettingValueIn,
    summary="Set one setting of the signed-in user",
    responses={200: User, **_ERRORS},
)
async def set_my_setting(session_id: str, key: str, body: SettingValueIn) -> Response:
    """Set ``key`` to the value, replacing any previous one."""
    return await _write_user(
        session_id,
        functools.partial(
            queries.set_user_setting, key=key, value=body.value, expected_versions=None
        ),
    )


@api.operation(
    "DELETE",
    "/me/settings/{key}",
    scope="sessions:write",
    params={"key": SettingKey},
    headers=SESSION,
    summary="Unset one setting of the signed-in user",
    responses={200: User, 404: ErrorBody, **_ERRORS},
)
async def unset_my_setting(session_id: str, key: str) -> Response:
    """Remove ``key`` (404 if it was not set)."""
    return await _write_user(
        session_id,
        functools.partial(queries.unset_user_setting, key=key, expected_versions=None),
    )


async def _write_user(session_id: str, write: Callable[..., Awaitable[User]]) -> Response:
    """Run ``write(conn, user_id, now=...)`` for the session's user in one transaction."""
    deps = resources()
    async with deps.database.engine.begin() as conn:
        user_id = await _user_of(conn, session_id)
        user = await write(conn, user_id, now=deps.clock())
    return json_response(user)


@api.operation(
    "GET",
    "/me/reminders",
    scope="sessions:read",
    headers=SESSION,
    summary="The signed-in user's upcoming and recent reminders",
    responses={200: MyReminders, **_ERRORS},
)
async def list_my_reminders(session_id: str) -> Response:
    """Pending ones soonest first, then the 20 latest delivered or cancelled."""
    async with resources().database.reader.connect() as conn:
        user_id = await _user_of(conn, session_id)
        return json_response(await queries.list_my_reminders(conn, user_id))


@api.operation(
    "POST",
    "/me/reminders",
    scope="sessions:write",
    headers=SESSION,
    body=ReminderCreate,
    summary="Create a reminder for the signed-in user",
    responses={201: Reminder, 409: ErrorBody, **_ERRORS},
)
async def create_my_reminder(session_id: str, body: ReminderCreate) -> Response:
    """Remind them of ``text`` at ``due_at`` in ``channel_id``; 409 ``too_many_reminders``
    at 100 pending."""
    deps = resources()
    async with deps.database.engine.begin() as conn:
        user_id = await _user_of(conn, session_id)
        reminder, _new = await queries.create_reminder(
            conn, user_id, body.model_dump(), now=deps.clock()
        )
    return json_response(reminder, 201)


@api.operation(
    "DELETE",
    "/me/reminders/{reminder_id}",
    scope="sessions:write",
    params={"reminder_id": RowId},
    headers=SESSION,
    summary="Cancel one of the signed-in user's pending reminders",
    responses={204: None, 404: ErrorBody, **_ERRORS},
)
async def cancel_my_reminder(session_id: str, reminder_id: int) -> Response:
    """404 unless it is this user's and still pending: nobody learns of others' reminders."""
    deps = resources()
    async with deps.database.engine.begin() as conn:
        user_id = await _user_of(conn, session_id)
        await queries.cancel_reminder(conn, user_id, reminder_id)
    return Response(b"", status=204)


@api.operation(
    "GET",
    "/me/workspace",
    scope="sessions:read",
    headers=SESSION,
    summary="The signed-in admin's workspace",
    responses={200: MyWorkspace, **_ERRORS},
)
async def get_my_workspace(session_id: str) -> Response:
    """The workspace of the session's user, if Slack says they are an admin or owner of it
    (stored roles, re-read on every call); else 403 `not_workspace_admin`. Its installation,
    its users who use Jeeves (counted; the first 100 listed), and the actions Jeeves answered
    there in the last 24 hours. There is no workspace id to give: it is always the user's own."""
    deps = resources()
    async with deps.database.reader.connect() as conn:
        session = await _session(conn, session_id)
        workspace = await queries.my_workspace(
            conn, session.user_id, team_name=session.team_name, now=deps.clock()
        )
    return json_response(workspace)


@api.operation(
    "PATCH",
    "/me/workspace",
    scope="sessions:write",
    headers=SESSION,
    body=MyWorkspaceUpdate,
    summary="Switch the daily weather alerts of the signed-in admin's workspace",
    responses={200: MyWorkspace, **_ERRORS},
)
async def update_my_workspace(session_id: str, body: MyWorkspaceUpdate) -> Response:
    """`daily_alerts_enabled: false` stops every daily alert of the workspace (each user's own
    settings are kept); `true` starts them again from their next time. 403
    `not_workspace_admin` unless the session's user is an admin or owner of it."""
    deps = resources()
    now = deps.clock()
    async with deps.database.engine.begin() as conn:
        session = await _session(conn, session_id)
        await queries.set_workspace_alerts(
            conn, session.user_id, enabled=body.daily_alerts_enabled, now=now
        )
        workspace = await queries.my_workspace(
            conn, session.user_id, team_name=session.team_name, now=now
        )
    log.info(
        "workspace.daily_alerts",
        team_id=workspace.team_id,
        enabled=body.daily_alerts_enabled,
        by_user=session.user_id,
    )
    return json_response(workspace)
