"""Schema migrations, run programmatically (no ``alembic.ini``): ``jeeves db upgrade``."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at our migrations and ``database_url``.

    The URL travels in ``attributes`` rather than the ini options, where ``%`` in a
    percent-encoded password would be read as interpolation.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    return config


async def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database at ``database_url`` to ``revision`` (the newest by default).

    Alembic is synchronous, so it runs in a worker thread with its own event loop for the async
    driver; the caller's loop keeps serving.
    """
    await asyncio.to_thread(command.upgrade, alembic_config(database_url), revision)


async def downgrade(database_url: str, revision: str) -> None:
    """Take the database at ``database_url`` back to ``revision`` (``"base"`` empties it)."""
    await asyncio.to_thread(command.downgrade, alembic_config(database_url), revision)
