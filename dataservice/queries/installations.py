"""Installations and their encrypted bot tokens.

Keys are stored with ``""`` for a missing enterprise or team (see
:class:`dataservice.models.Installation`); the answers show ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from dataservice.crypto import TokenCipher
from dataservice.errors import RecordNotFound
from dataservice.models import Installation
from dataservice.queries.shared import columns_for
from jeeves_shared.dataclient import models as wire

#: What the installation lookups select: the answer's columns, and the row id.
_COLUMNS = (
    Installation.id,
    *columns_for(wire.Installation, Installation),
)


@dataclass(frozen=True)
class Key:
    """An installation's key as stored (``""`` for absent)."""

    enterprise_id: str
    team_id: str

    @classmethod
    def of(cls, enterprise_id: str | None, team_id: str | None) -> Key:
        """The stored form of Slack's (``enterprise_id``, ``team_id``)."""
        return cls(enterprise_id or "", team_id or "")

    def candidates(self) -> list[Key]:
        """The installations that may serve this key, best first: itself, then the org-wide
        install of its enterprise."""
        org = Key(self.enterprise_id, "")
        return [self, org] if self.enterprise_id and self.team_id else [self]

    def __str__(self) -> str:
        return f"{self.enterprise_id or '-'}/{self.team_id or '-'}"


@dataclass(frozen=True)
class StoredToken:
    """An installation's bot token pair, decrypted, as the refresh needs it."""

    id: int
    active: bool
    token: str | None
    refresh_token: str | None
    expires_at: datetime | None
    bot_user_id: str
    bot_id: str | None


def to_installation(row: Row[Any]) -> wire.Installation:
    """The answer for a selected row (``""`` keys shown as ``None``)."""
    values = dict(row._mapping)
    values["enterprise_id"] = values["enterprise_id"] or None
    values["team_id"] = values["team_id"] or None
    return wire.Installation.model_validate(values)


async def find_installation(
    conn: AsyncConnection, key: Key, *, exact: bool = False
) -> tuple[int, wire.Installation]:
    """The row id and installation serving ``key`` (itself, else, unless ``exact``, its
    org-wide install); :class:`RecordNotFound` if none."""
    for candidate in [key] if exact else key.candidates():
        stmt = select(*_COLUMNS).where(
            Installation.enterprise_id == candidate.enterprise_id,
            Installation.team_id == candidate.team_id,
        )
        row = (await conn.execute(stmt)).first()
        if row is not None:
            return row.id, to_installation(row)
    raise RecordNotFound("installation", key)


async def get_installation(conn: AsyncConnection, row_id: int) -> wire.Installation:
    """The installation with this row id."""
    row = (await conn.execute(select(*_COLUMNS).where(Installation.id == row_id))).one()
    return to_installation(row)


async def save_installation(
    conn: AsyncConnection, values: Mapping[str, Any], *, cipher: TokenCipher, now: datetime
) -> wire.Installation:
    """Insert or update (and reactivate) the installation.

    ``values`` are :class:`~dataservice.schemas.installations.InstallationSave`'s fields with
    the tokens in clear; they are encrypted here. One statement (an upsert), so that two
    installs at once cannot both insert. ``installed_at`` changes only when the installation
    was inactive (a reinstall); it is kept on an update of an active one.
    """
    row = _row_values(values, cipher=cipher, now=now)
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(Installation).values(**row)
    changes = {name: insert.excluded[name] for name in row if name not in _KEPT_ON_UPDATE}
    changes["installed_at"] = case(
        (Installation.active, Installation.installed_at), else_=insert.excluded.installed_at
    )
    stmt = insert.on_conflict_do_update(
        index_elements=[Installation.enterprise_id, Installation.team_id], set_=changes
    ).returning(Installation.id)
    row_id = (await conn.execute(stmt)).scalar_one()
    return await get_installation(conn, row_id)


#: Columns an update leaves alone (``installed_at`` is decided by a CASE).
_KEPT_ON_UPDATE = frozenset({"enterprise_id", "team_id", "installed_at"})


def _row_values(values: Mapping[str, Any], *, cipher: TokenCipher, now: datetime) -> dict[str, Any]:
    row = dict(values)
    key = Key.of(row.pop("enterprise_id"), row.pop("team_id"))
    refresh = row.pop("bot_refresh_token", None)
    row["bot_token_encrypted"] = cipher.encrypt(row.pop("bot_token"))
    row["bot_refresh_token_encrypted"] = None if refresh is None else cipher.encrypt(refresh)
    return {
        **row,
        "enterprise_id": key.enterprise_id,
        "team_id": key.team_id,
        "active": True,
        "inactive_reason": None,
        "installed_at": now,
        "updated_at": now,
        "uninstalled_at": None,
    }


async def deactivate_installation(
    conn: AsyncConnection, row_id: int, *, reason: str, now: datetime
) -> bool:
    """Mark the installation inactive and delete its tokens; False if it already was (the
    first reason and time are kept)."""
    stmt = (
        update(Installation)
        .where(Installation.id == row_id, Installation.active.is_(True))
        .values(
            active=False,
            inactive_reason=reason,
            bot_token_encrypted=None,
            bot_refresh_token_encrypted=None,
            bot_token_expires_at=None,
            uninstalled_at=now,
            updated_at=now,
        )
    )
    return (await conn.execute(stmt)).rowcount > 0


async def lock_installation(conn: AsyncConnection, row_id: int) -> None:
    """Hold the installation's row until the transaction ends, so that one caller at a time
    reads and refreshes its token.

    On PostgreSQL the read that follows takes the row lock (``SELECT ... FOR UPDATE``). SQLite
    has no row locks: a write takes the database's write lock, which other writers wait for
    (``busy_timeout``), so this writes first, a no-op update; as the transaction's first
    statement it waits for the lock rather than failing.
    """
    if conn.dialect.name == "sqlite":
        await conn.execute(
            update(Installation).where(Installation.id == row_id).values(id=Installation.id)
        )


async def read_token(
    conn: AsyncConnection, row_id: int, *, cipher: TokenCipher, lock: bool = False
) -> StoredToken:
    """The installation's token pair, decrypted. With ``lock`` (in a transaction), read
    ``FOR UPDATE`` on PostgreSQL (call :func:`lock_installation` first for SQLite)."""
    stmt = select(
        Installation.active,
        Installation.bot_token_encrypted,
        Installation.bot_refresh_token_encrypted,
        Installation.bot_token_expires_at,
        Installation.bot_user_id,
        Installation.bot_id,
    ).where(Installation.id == row_id)
    if lock:
        stmt = stmt.with_for_update()
    row = (await conn.execute(stmt)).one()
    return StoredToken(
        id=row_id,
        active=row.active,
        token=_decrypt(cipher, row.bot_token_encrypted),
        refresh_token=_decrypt(cipher, row.bot_refresh_token_encrypted),
        expires_at=row.bot_token_expires_at,
        bot_user_id=row.bot_user_id,
        bot_id=row.bot_id,
    )


async def store_token(
    conn: AsyncConnection,
    row_id: int,
    *,
    token: str,
    refresh_token: str,
    expires_at: datetime,
    cipher: TokenCipher,
    now: datetime,
) -> None:
    """Replace the installation's token pair by a refreshed one."""
    await conn.execute(
        update(Installation)
        .where(Installation.id == row_id)
        .values(
            bot_token_encrypted=cipher.encrypt(token),
            bot_refresh_token_encrypted=cipher.encrypt(refresh_token),
            bot_token_expires_at=expires_at,
            updated_at=now,
        )
    )


async def rotate_installation_tokens(conn: AsyncConnection, *, cipher: TokenCipher) -> int:
    """Re-encrypt every stored bot and refresh token with the newest key; returns how many
    installations."""
    stmt = select(
        Installation.id,
        Installation.bot_token_encrypted,
        Installation.bot_refresh_token_encrypted,
    ).where(Installation.bot_token_encrypted.is_not(None))
    rows = (await conn.execute(stmt)).all()
    for row in rows:
        refresh = row.bot_refresh_token_encrypted
        await conn.execute(
            update(Installation)
            .where(Installation.id == row.id)
            .values(
                bot_token_encrypted=cipher.rotate(row.bot_token_encrypted),
                bot_refresh_token_encrypted=None if refresh is None else cipher.rotate(refresh),
            )
        )
    return len(rows)


def _decrypt(cipher: TokenCipher, ciphertext: str | None) -> str | None:
    return None if ciphertext is None else cipher.decrypt(ciphertext)
