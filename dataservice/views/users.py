"""``/api/v1/users``: get-or-create, read, update, settings, daily alerts, list."""

from __future__ import annotations

import functools

from quart import Response, request

from dataservice import queries
from dataservice.caching import expected_versions, resource_etag
from dataservice.operations import Api, Header
from dataservice.schemas.types import RowId, SettingKey, SlackId
from dataservice.schemas.users import (
    AlertsUpdate,
    SettingValueIn,
    UserListQuery,
    UserLookup,
    UserUpdate,
)
from dataservice.views.common import json_response, resources
from jeeves_shared.dataclient.models import ErrorBody, User, UserPage

api = Api("users", url_prefix="/api/v1")

IF_MATCH = {"If-Match": Header("Apply only if the user is still at this version (else 412).")}
IF_NONE_MATCH = {"If-None-Match": Header("Answer 304 if the user is still at this version.")}
_READ_ERRORS = {304: None, 404: ErrorBody, 422: ErrorBody}
_WRITE_ERRORS = {404: ErrorBody, 412: ErrorBody, 422: ErrorBody}


def user_response(user: User, status: int = 200) -> Response:
    """The user as JSON, with its version as the ETag."""
    headers = {"Location": f"/api/v1/users/{user.id}"} if status == 201 else None
    etag = resource_etag("user", user.id, user.version)
    return json_response(user, status, etag=etag, headers=headers)


@api.operation(
    "POST",
    "/users",
    scope="users:write",
    body=UserLookup,
    summary="Get or create a user by Slack ids",
    responses={200: User, 201: User, 422: ErrorBody},
)
async def get_or_create_user(body: UserLookup) -> Response:
    """Return the user (200), creating them and their workspace record if new (201)."""
    deps = resources()
    async with deps.database.engine.begin() as conn:
        user, created = await queries.get_or_create_user(
            conn,
            team_id=body.team_id,
            slack_user_id=body.slack_user_id,
            display_name=body.display_name,
            now=deps.clock(),
        )
    return user_response(user, 201 if created else 200)


@api.operation(
    "GET",
    "/users",
    scope="users:read",
    query=UserListQuery,
    summary="List users",
    responses={200: UserPage, 304: None, 422: ErrorBody},
)
async def list_users(query: UserListQuery) -> Response:
    """Users by id, a page at a time, optionally of one workspace."""
    async with resources().database.reader.connect() as conn:
        users = await queries.list_users(
            conn, team_id=query.team_id, after=query.cursor, limit=query.limit
        )
    next_cursor = users[-1].id if len(users) == query.limit else None
    page = UserPage(items=users, next_cursor=next_cursor)
    return json_response(page)


@api.operation(
    "GET",
    "/users/{user_id}",
    scope="users:read",
    params={"user_id": RowId},
    headers=IF_NONE_MATCH,
    summary="Read a user",
    responses={200: User, **_READ_ERRORS},
)
async def get_user(user_id: int) -> Response:
    """The user with this id."""
    user = await resources().database.read(functools.partial(queries.read_user, user_id=user_id))
    return user_response(user)


@api.operation(
    "GET",
    "/workspaces/{team_id}/users/{slack_user_id}",
    scope="users:read",
    params={"team_id": SlackId, "slack_user_id": SlackId},
    headers=IF_NONE_MATCH,
    summary="Find a user by Slack ids",
    responses={200: User, **_READ_ERRORS},
)
async def find_user(team_id: str, slack_user_id: str) -> Response:
    """The user known to Slack as ``slack_user_id`` in workspace ``team_id``."""
    async with resources().database.reader.connect() as conn:
        return user_response(await queries.find_user(conn, team_id, slack_user_id))


@api.operation(
    "PATCH",
    "/users/{user_id}",
    scope="users:write",
    params={"user_id": RowId},
    body=UserUpdate,
    headers=IF_MATCH,
    summary="Update a user's profile",
    responses={200: User, **_WRITE_ERRORS},
)
async def update_user(user_id: int, body: UserUpdate) -> Response:
    """Change the fields present in the body (location, timezone, units...)."""
    deps = resources()
    async with deps.database.engine.begin() as conn:
        user = await queries.update_user(
            conn,
            user_id,
            body.model_dump(),
            expected_versions=expected_versions(request, "user", user_id),
            now=deps.clock(),
        )
    return user_response(user)


@api.operation(
    "PUT",
    "/users/{user_id}/settings/{key}",
    scope="users:write",
    params={"user_id": RowId, "key": SettingKey},
    body=SettingValueIn,
    headers=IF_MATCH,
    summary="Set one setting of a user",
    responses={200: User, **_WRITE_ERRORS},
)
async def set_setting(user_id: int, key: str, body: SettingValueIn) -> Response:
    """Set ``key`` to the given value, replacing any previous one."""
    deps = resources()
    async with deps.database.engine.begin() as conn:
        user = await queries.set_user_setting(
            conn,
            user_id,
            key,
            body.value,
            expected_versions=expected_versions(request, "user", user_id),
            now=deps.clock(),
        )
    return user_response(user)


@api.operation(
    "DELETE",
    "/users/{user_id}/settings/{key}",
    scope="users:write",
    params={"user_id": RowId, "key": SettingKey},
    headers=IF_MATCH,
    summary="Unset one setting of a user",
    responses={200: User, **_WRITE_ERRORS},
)
async def unset_setting(user_id: int, key: str) -> Response:
    """Remove ``key`` (404 if it was not set)."""
    deps = resources()
    async with deps.database.engine.begin() as conn:
        user = await queries.unset_user_setting(
            conn,
            user_id,
            key,
            expected_versions=expected_versions(request, "user", user_id),
            now=deps.clock(),
        )
    return user_response(user)


@api.operation(
    "PUT",
    "/users/{user_id}/alerts",
    scope="users:write",
    params={"user_id": RowId},
    body=AlertsUpdate,
    headers=IF_MATCH,
    summary="Switch a user's daily weather alert on or off",
    responses={200: User, **_WRITE_ERRORS},
)
async def set_alerts(user_id: int, body: AlertsUpdate) -> Response:
    """Daily at ``time`` (``HH:MM``, default: the stored time, else 08:00) in the user's time
    zone (UTC if unset); the answer's ``next_alert_at`` says when the next one fires."""
    deps = resources()
    async with deps.database.engine.begin() as conn:
        user = await queries.set_user_alerts(
            conn,
            user_id,
            enabled=body.enabled,
            alert_time=body.time,
            expected_versions=expected_versions(request, "user", user_id),
            now=deps.clock(),
        )
    return user_response(user)
