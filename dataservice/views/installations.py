"""``/api/v1/installations``: installs, uninstalls, and fresh bot tokens for Slack callers.

An installation is named by Slack's (``enterprise_id``, ``team_id``) in the body or query
string, not in the path: either may be absent.
"""

from __future__ import annotations

from datetime import timedelta

from quart import Response

from dataservice import queries
from dataservice.bot_tokens import fresh_bot_token
from dataservice.operations import Api
from dataservice.queries.installations import Key
from dataservice.schemas.installations import (
    Deactivation,
    InstallationLookup,
    InstallationSave,
    TokenRequest,
)
from dataservice.views.common import json_response, resources, to_plain
from jeeves_shared.dataclient.models import BotToken, ErrorBody, Installation

api = Api("installations", url_prefix="/api/v1")
#: Answers holding a token are never stored by a cache on the way.
NO_STORE = {"Cache-Control": "no-store"}


@api.operation(
    "PUT",
    "/installations",
    scope="installations:write",
    body=InstallationSave,
    summary="Record an install (create, or update and reactivate)",
    responses={200: Installation, 422: ErrorBody},
)
async def save_installation(body: InstallationSave) -> Response:
    """Upsert on (``enterprise_id``, ``team_id``): a reinstall reactivates the installation
    with its new tokens. Users and their settings are not touched (they belong to their
    workspace). Tokens are encrypted at rest and never shown again but to
    ``installations:token``."""
    deps = resources()
    async with deps.database.engine.begin() as conn:
        installation = await queries.save_installation(
            conn, to_plain(body.model_dump()), cipher=deps.cipher, now=deps.clock()
        )
    return json_response(installation)


@api.operation(
    "GET",
    "/installations/lookup",
    scope="installations:read",
    query=InstallationLookup,
    summary="Find the installation serving a workspace",
    responses={200: Installation, 404: ErrorBody, 422: ErrorBody},
)
async def find_installation(query: InstallationLookup) -> Response:
    """The installation with exactly this key, else the org-wide install of
    ``enterprise_id``; inactive ones too (``active`` false)."""
    # An org-wide install has no team: a team given with is_enterprise_install is not its key.
    team_id = None if query.is_enterprise_install else query.team_id
    async with resources().database.reader.connect() as conn:
        _, installation = await queries.find_installation(
            conn, Key.of(query.enterprise_id, team_id)
        )
    return json_response(installation)


@api.operation(
    "POST",
    "/installations/deactivate",
    scope="installations:write",
    body=Deactivation,
    summary="Mark an installation inactive and delete its tokens",
    responses={200: Installation, 404: ErrorBody, 422: ErrorBody},
)
async def deactivate_installation(body: Deactivation) -> Response:
    """Uninstalled, tokens revoked, or refused by Slack: the installation with exactly this
    key (no org-wide fallback) keeps its row (and its workspace's users keep theirs) but has no
    token until installed again. A repeat changes nothing (the first reason and time stay)."""
    deps = resources()
    key = Key.of(body.enterprise_id, body.team_id)
    async with deps.database.reader.connect() as conn:
        # Exactly this key: a workspace of an org-wide install losing access must not
        # deactivate the org's installation.
        row_id, _ = await queries.find_installation(conn, key, exact=True)
    # The write first: on SQLite a transaction that read first could not wait for the lock.
    async with deps.database.engine.begin() as conn:
        await queries.deactivate_installation(conn, row_id, reason=body.reason, now=deps.clock())
        installation = await queries.get_installation(conn, row_id)
    return json_response(installation)


@api.operation(
    "POST",
    "/installations/bot-token",
    scope="installations:token",
    body=TokenRequest,
    summary="A bot token valid at least min_valid_seconds more (refreshed if needed)",
    responses={200: BotToken, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody},
)
async def get_fresh_bot_token(body: TokenRequest) -> Response:
    """The installation's bot token in clear (``Cache-Control: no-store``). An expiring
    rotating token is refreshed at Slack first, once however many ask at once: 409
    ``installation_inactive`` if the installation is inactive or Slack refused the refresh
    (it is then inactive), 503 ``slack_unavailable`` (with ``Retry-After``) if Slack could not
    be asked now."""
    deps = resources()
    token = await fresh_bot_token(
        deps.database,
        Key.of(body.enterprise_id, body.team_id),
        min_valid=timedelta(seconds=body.min_valid_seconds),
        cipher=deps.cipher,
        refresher=deps.refresher,
        clock=deps.clock,
    )
    return json_response(token, headers=NO_STORE)
