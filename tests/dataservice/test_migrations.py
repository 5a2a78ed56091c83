"""Alembic migrations: they build the schema the models describe, on both backends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import create_async_engine

from dataservice.migrate import downgrade, upgrade
from dataservice.models import Base
from tests.support.postgres import PostgresServer

TABLES = {"workspaces", "users", "user_settings", "processed_events", "alembic_version"}


@pytest.fixture
async def empty_database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    """A database with no tables at all."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = await server.create_database()
    yield server.url(name)
    await server.drop_database(name)


async def inspect_database(url: str, check: Any) -> Any:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(check)
    finally:
        await engine.dispose()


def table_names(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


def differences(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_builds_what_the_models_describe(empty_database_url: str) -> None:
    await upgrade(empty_database_url)

    assert await inspect_database(empty_database_url, table_names) == TABLES
    assert await inspect_database(empty_database_url, differences) == []


async def test_downgrade_to_base_and_upgrade_again(empty_database_url: str) -> None:
    await upgrade(empty_database_url)
    await downgrade(empty_database_url, "base")
    assert await inspect_database(empty_database_url, table_names) == {"alembic_version"}

    await upgrade(empty_database_url)
    await upgrade(empty_database_url)  # already at head: nothing to do

    assert await inspect_database(empty_database_url, table_names) == TABLES


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_upgrade_leaves_the_event_loop_free(empty_database_url: str) -> None:
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    ticker = asyncio.create_task(tick())
    try:
        await upgrade(empty_database_url)
    finally:
        ticker.cancel()

    assert ticks > 1
