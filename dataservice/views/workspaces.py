"""``/api/v1/workspaces``: CRUD of installations, and the bot token for the Slack poster."""

from __future__ import annotations

from quart import Response, request

from dataservice import queries
from dataservice.caching import expected_versions, resource_etag
from dataservice.operations import Api, Header
from dataservice.schemas.types import PageQuery, SlackId
from dataservice.schemas.workspaces import WorkspaceCreate, WorkspaceUpdate
from dataservice.views.common import json_response, resources, to_plain
from jeeves_shared.dataclient.models import ErrorBody, Workspace, WorkspaceBotToken, WorkspacePage

api = Api("workspaces", url_prefix="/api/v1")

IF_MATCH = {"If-Match": Header("Apply only if the workspace is still at this version (else 412).")}
IF_NONE_MATCH = {"If-None-Match": Header("Answer 304 if the workspace is still at this version.")}
TEAM = {"team_id": SlackId}
_WRITE_ERRORS = {404: ErrorBody, 412: ErrorBody, 422: ErrorBody}


def workspace_response(workspace: Workspace, status: int = 200) -> Response:
    """The workspace as JSON (never its token), with its version as the ETag."""
    headers = {"Location": f"/api/v1/workspaces/{workspace.team_id}"} if status == 201 else None
    etag = resource_etag("workspace", workspace.team_id, workspace.version)
    return json_response(workspace, status, etag=etag, headers=headers)


@api.operation(
    "POST",
    "/workspaces",
    scope="workspaces:write",
    body=WorkspaceCreate,
    summary="Record a new workspace",
    responses={201: Workspace, 409: ErrorBody, 422: ErrorBody},
)
async def create_workspace(body: WorkspaceCreate) -> Response:
    """Create the workspace; 409 if its team id is already known."""
    deps = resources()
    async with deps.database.engine.begin() as conn:
        workspace = await queries.create_workspace(
            conn, to_plain(body.model_dump()), cipher=deps.cipher, now=deps.clock()
        )
    return workspace_response(workspace, 201)


@api.operation(
    "GET",
    "/workspaces",
    scope="workspaces:read",
    query=PageQuery,
    summary="List workspaces",
    responses={200: WorkspacePage, 304: None, 422: ErrorBody},
)
async def list_workspaces(query: PageQuery) -> Response:
    """Workspaces by id, a page at a time."""
    async with resources().database.reader.connect() as conn:
        page = await queries.list_workspaces(conn, after=query.cursor, limit=query.limit)
    return json_response(page)


@api.operation(
    "GET",
    "/workspaces/{team_id}",
    scope="workspaces:read",
    params=TEAM,
    headers=IF_NONE_MATCH,
    summary="Read a workspace",
    responses={200: Workspace, 304: None, 404: ErrorBody, 422: ErrorBody},
)
async def get_workspace(team_id: str) -> Response:
    """The workspace with this Slack team id."""
    async with resources().database.reader.connect() as conn:
        return workspace_response(await queries.get_workspace(conn, team_id))


@api.operation(
    "PATCH",
    "/workspaces/{team_id}",
    scope="workspaces:write",
    params=TEAM,
    body=WorkspaceUpdate,
    headers=IF_MATCH,
    summary="Update a workspace",
    responses={200: Workspace, **_WRITE_ERRORS},
)
async def update_workspace(team_id: str, body: WorkspaceUpdate) -> Response:
    """Change the fields present in the body; a new ``bot_token`` is encrypted at rest."""
    deps = resources()
    async with deps.database.engine.begin() as conn:
        workspace = await queries.update_workspace(
            conn,
            team_id,
            to_plain(body.model_dump()),
            cipher=deps.cipher,
            expected_versions=expected_versions(request, "workspace", team_id),
            now=deps.clock(),
        )
    return workspace_response(workspace)


@api.operation(
    "DELETE",
    "/workspaces/{team_id}",
    scope="workspaces:write",
    params=TEAM,
    headers=IF_MATCH,
    summary="Delete a workspace and its users",
    responses={204: None, **_WRITE_ERRORS},
)
async def delete_workspace(team_id: str) -> Response:
    """Forget the workspace, its users and their settings."""
    async with resources().database.engine.begin() as conn:
        await queries.delete_workspace(
            conn, team_id, expected_versions=expected_versions(request, "workspace", team_id)
        )
    return Response(b"", status=204)


@api.operation(
    "GET",
    "/workspaces/{team_id}/bot-token",
    scope="workspaces:tokens",
    params=TEAM,
    summary="Read the decrypted bot token (Slack poster only)",
    responses={200: WorkspaceBotToken, 404: ErrorBody, 422: ErrorBody},
)
async def get_bot_token(team_id: str) -> Response:
    """The workspace's bot token in clear; never cached (``Cache-Control: no-store``)."""
    deps = resources()
    async with deps.database.reader.connect() as conn:
        token = await queries.get_bot_token(conn, team_id, cipher=deps.cipher)
    body = WorkspaceBotToken(team_id=team_id, bot_token=token)
    return json_response(body, headers={"Cache-Control": "no-store"})
