"""Workspaces (installations) and their encrypted bot tokens."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from dataservice.crypto import TokenCipher
from dataservice.errors import AlreadyExists, RecordNotFound
from dataservice.models import Workspace
from dataservice.queries.shared import (
    columns_for,
    insert_ignoring_conflicts,
    raise_missing_or_stale,
)
from jeeves_shared.dataclient import models as wire

# The row id too: it is the list's cursor, though no answer shows it.
_WORKSPACE_COLUMNS = (
    Workspace.id,
    *columns_for(
        wire.Workspace,
        Workspace,
        computed={"has_bot_token": Workspace.bot_token_encrypted.is_not(None)},
    ),
)


def new_workspace_values(team_id: str, now: datetime) -> dict[str, Any]:
    """The columns of a workspace first seen at ``now``: not installed, no token."""
    return {
        "team_id": team_id,
        "name": "",
        "scopes": [],
        "is_installed": False,
        "is_active": True,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


def _encrypt_token(values: dict[str, Any], cipher: TokenCipher) -> dict[str, Any]:
    """Replace a plaintext ``bot_token`` by its ciphertext column (``None`` clears it)."""
    if "bot_token" not in values:
        return values
    token = values.pop("bot_token")
    values["bot_token_encrypted"] = None if token is None else cipher.encrypt(token)
    return values


async def get_workspace(conn: AsyncConnection, team_id: str) -> wire.Workspace:
    """The workspace ``team_id``; :class:`RecordNotFound` if none."""
    stmt = select(*_WORKSPACE_COLUMNS).where(Workspace.team_id == team_id)
    row = (await conn.execute(stmt)).first()
    if row is None:
        raise RecordNotFound("workspace", team_id)
    return wire.Workspace.model_validate(row._mapping)


async def create_workspace(
    conn: AsyncConnection, values: Mapping[str, Any], *, cipher: TokenCipher, now: datetime
) -> wire.Workspace:
    """Record a new workspace; :class:`AlreadyExists` if ``team_id`` is already known."""
    row = {**new_workspace_values(values["team_id"], now), **_encrypt_token(dict(values), cipher)}
    stmt = insert_ignoring_conflicts(conn, Workspace).values(**row).returning(Workspace.id)
    if (await conn.execute(stmt)).scalar_one_or_none() is None:
        raise AlreadyExists("workspace", values["team_id"])
    return await get_workspace(conn, values["team_id"])


async def update_workspace(
    conn: AsyncConnection,
    team_id: str,
    changes: Mapping[str, Any],
    *,
    cipher: TokenCipher,
    expected_versions: set[int] | None,
    now: datetime,
) -> wire.Workspace:
    """Apply ``changes`` (a new ``bot_token`` is encrypted) and bump the version."""
    stmt = (
        update(Workspace)
        .where(Workspace.team_id == team_id)
        .values(
            **_encrypt_token(dict(changes), cipher), version=Workspace.version + 1, updated_at=now
        )
    )
    if expected_versions is not None:
        stmt = stmt.where(Workspace.version.in_(expected_versions))
    if (await conn.execute(stmt)).rowcount == 0:
        await raise_missing_or_stale(conn, Workspace.team_id, "workspace", team_id)
    return await get_workspace(conn, team_id)


async def delete_workspace(
    conn: AsyncConnection, team_id: str, *, expected_versions: set[int] | None
) -> None:
    """Delete a workspace and (by cascade) its users and their settings."""
    stmt = delete(Workspace).where(Workspace.team_id == team_id)
    if expected_versions is not None:
        stmt = stmt.where(Workspace.version.in_(expected_versions))
    if (await conn.execute(stmt)).rowcount == 0:
        await raise_missing_or_stale(conn, Workspace.team_id, "workspace", team_id)


async def list_workspaces(conn: AsyncConnection, *, after: int, limit: int) -> wire.WorkspacePage:
    """Up to ``limit`` workspaces with an id above ``after``, by id; the page's cursor is the
    last id (a row id the answers do not show), ``None`` once a page comes back short."""
    stmt = (
        select(*_WORKSPACE_COLUMNS).where(Workspace.id > after).order_by(Workspace.id).limit(limit)
    )
    rows = (await conn.execute(stmt)).all()
    return wire.WorkspacePage(
        items=[wire.Workspace.model_validate(row._mapping) for row in rows],
        next_cursor=rows[-1].id if len(rows) == limit else None,
    )


async def get_bot_token(conn: AsyncConnection, team_id: str, *, cipher: TokenCipher) -> str:
    """The decrypted bot token of ``team_id``; :class:`RecordNotFound` if no workspace or no
    token."""
    stmt = select(Workspace.bot_token_encrypted).where(Workspace.team_id == team_id)
    encrypted = (await conn.execute(stmt)).scalar_one_or_none()
    if encrypted is None:
        raise RecordNotFound("bot token of workspace", team_id)
    return cipher.decrypt(encrypted)


async def rotate_bot_tokens(conn: AsyncConnection, *, cipher: TokenCipher) -> int:
    """Re-encrypt every stored bot token with the newest key; returns how many."""
    stmt = select(Workspace.id, Workspace.bot_token_encrypted).where(
        Workspace.bot_token_encrypted.is_not(None)
    )
    rows = (await conn.execute(stmt)).all()
    for row in rows:
        await conn.execute(
            update(Workspace)
            .where(Workspace.id == row.id)
            .values(bot_token_encrypted=cipher.rotate(row.bot_token_encrypted))
        )
    return len(rows)
