"""Alembic migrations: they build the schema the models describe, on both backends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from dataservice.migrate import downgrade, upgrade
from dataservice.models import Base
from tests.support.postgres import PostgresServer

TABLES = {
    "workspaces",
    "installations",
    "users",
    "user_settings",
    "processed_events",
    "reminders",
    "sessions",
    "alembic_version",
}


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


async def run_sql(url: str, *statements: str) -> list[Any]:
    """Run ``statements`` in one transaction; the rows of the last."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                result = await conn.execute(text(statement))
            return list(result.mappings()) if result.returns_rows else []
    finally:
        await engine.dispose()


_USER_ROWS = (
    "INSERT INTO workspaces (team_id, name, scopes, is_installed, is_active, version,"
    " created_at, updated_at) VALUES ('T1', '', '[]', true, true, 1,"
    " '2025-01-01 00:00:00+00', '2025-01-01 00:00:00+00')",
    "INSERT INTO users (workspace_id, slack_user_id, display_name, units, is_admin, version,"
    " created_at, updated_at) VALUES (1, 'U1', 'Bertie', 'metric', false, 1,"
    " '2025-01-01 00:00:00+00', '2025-01-01 00:00:00+00')",
)


def user_columns(conn: Connection) -> set[str]:
    return {column["name"] for column in inspect(conn).get_columns("users")}


async def test_0002_keeps_existing_users_both_ways(empty_database_url: str) -> None:
    url = empty_database_url
    await upgrade(url, "0001")
    await run_sql(url, *_USER_ROWS)

    await upgrade(url, "0002")
    upgraded = await run_sql(
        url,
        "INSERT INTO reminders (user_id, text, due_at, channel_id, created_at)"
        " VALUES (1, 'tea', '2025-01-02 00:00:00+00', 'D1', '2025-01-01 00:00:00+00')",
        "SELECT display_name, alerts_enabled, alert_time, next_alert_at FROM users",
    )
    [status] = await run_sql(url, "SELECT status FROM reminders")
    await downgrade(url, "0001")
    downgraded = await run_sql(url, "SELECT id, display_name FROM users")

    assert [dict(row) for row in upgraded] == [
        {
            "display_name": "Bertie",
            "alerts_enabled": False,
            "alert_time": None,
            "next_alert_at": None,
        }
    ]
    assert status["status"] == "pending"
    assert [dict(row) for row in downgraded] == [{"id": 1, "display_name": "Bertie"}]
    assert await inspect_database(url, table_names) == TABLES - {
        "reminders",
        "installations",
        "sessions",
    }
    assert "alerts_enabled" not in await inspect_database(url, user_columns)
    await upgrade(url)  # SQLite rebuilt users twice: its constraints and indexes must survive
    assert await inspect_database(url, differences) == []


async def test_the_reminder_status_is_checked(empty_database_url: str) -> None:
    await upgrade(empty_database_url)

    with pytest.raises(IntegrityError):
        await run_sql(
            empty_database_url,
            "INSERT INTO workspaces (team_id, name, scopes, is_installed, is_active, version,"
            " created_at, updated_at) VALUES ('T1', '', '[]', true, true, 1,"
            " '2025-01-01 00:00:00+00', '2025-01-01 00:00:00+00')",
            "INSERT INTO users (workspace_id, slack_user_id, version, created_at, updated_at)"
            " VALUES (1, 'U1', 1, '2025-01-01 00:00:00+00', '2025-01-01 00:00:00+00')",
            "INSERT INTO reminders (user_id, text, due_at, channel_id, status, created_at)"
            " VALUES (1, 'x', '2025-01-02 00:00:00+00', 'D1', 'lost', '2025-01-01 00:00:00+00')",
        )


async def test_0003_makes_old_claims_done_and_keeps_rows_both_ways(
    empty_database_url: str,
) -> None:
    url = empty_database_url
    await upgrade(url, "0002")
    await run_sql(
        url,
        "INSERT INTO processed_events (event_id, first_seen, claimed_by)"
        " VALUES ('Ev1', '2025-01-01 00:00:00+00', 'w')",
        *_USER_ROWS,
        "INSERT INTO reminders (user_id, text, due_at, channel_id, created_at)"
        " VALUES (1, 'tea', '2025-01-02 00:00:00+00', 'D1', '2025-01-01 00:00:00+00')",
    )

    await upgrade(url, "0003")
    upgraded = await run_sql(url, "SELECT event_id, status, lease_until FROM processed_events")
    await run_sql(
        url,
        "INSERT INTO processed_events (event_id, first_seen, status, lease_until)"
        " VALUES ('Ev2', '2025-01-01 00:00:00+00', 'pending', '2025-01-01 00:01:00+00')",
        "UPDATE reminders SET request_key = 'Ev9'",
    )
    with pytest.raises(IntegrityError):  # one request key per user
        await run_sql(
            url,
            "INSERT INTO reminders (user_id, text, due_at, channel_id, created_at, request_key)"
            " VALUES (1, 'tea', '2025-01-02 00:00:00+00', 'D1', '2025-01-01 00:00:00+00', 'Ev9')",
        )
    with pytest.raises(IntegrityError):
        await run_sql(
            url,
            "INSERT INTO processed_events (event_id, first_seen, status)"
            " VALUES ('Ev3', '2025-01-01 00:00:00+00', 'lost')",
        )
    await downgrade(url, "0002")
    events = await run_sql(url, "SELECT event_id FROM processed_events")
    reminders = await run_sql(url, "SELECT text FROM reminders")

    assert [dict(row) for row in upgraded] == [
        {"event_id": "Ev1", "status": "done", "lease_until": None}
    ]
    # A pending claim goes with its status: the event can be claimed again, not lost.
    assert [dict(row) for row in events] == [{"event_id": "Ev1"}]
    assert [dict(row) for row in reminders] == [{"text": "tea"}]
    await upgrade(url)
    assert await inspect_database(url, differences) == []


_TOKEN_WORKSPACE = (
    "INSERT INTO workspaces (team_id, name, bot_user_id, bot_token_encrypted, scopes,"
    " is_installed, is_active, version, created_at, updated_at) VALUES ('T9', '', 'UBOT',"
    " 'ciphertext', '[\"chat:write\"]', true, true, 1,"
    " '2025-01-01 00:00:00+00', '2025-01-01 00:00:00+00')"
)


async def test_0004_moves_workspace_tokens_into_installations(empty_database_url: str) -> None:
    url = empty_database_url
    await upgrade(url, "0003")
    await run_sql(url, _USER_ROWS[0], _TOKEN_WORKSPACE)

    await upgrade(url, "0004")
    moved = await run_sql(
        url,
        "SELECT enterprise_id, team_id, bot_user_id, bot_token_encrypted, active"
        " FROM installations",
    )
    await downgrade(url, "0003")

    assert [dict(row) for row in moved] == [
        {
            "enterprise_id": "",
            "team_id": "T9",
            "bot_user_id": "UBOT",
            "bot_token_encrypted": "ciphertext",
            "active": True,
        }
    ]
    assert "installations" not in await inspect_database(url, table_names)


async def test_0006_gives_existing_rows_no_roles_and_alerts_on_both_ways(
    empty_database_url: str,
) -> None:
    url = empty_database_url
    await upgrade(url, "0005")
    await run_sql(url, *_USER_ROWS)

    await upgrade(url, "0006")
    [user] = await run_sql(url, "SELECT is_admin, is_owner, roles_checked_at FROM users")
    [workspace] = await run_sql(url, "SELECT daily_alerts_enabled FROM workspaces")
    await downgrade(url, "0005")
    downgraded = await inspect_database(url, user_columns)

    assert dict(user) == {"is_admin": False, "is_owner": False, "roles_checked_at": None}
    assert dict(workspace) == {"daily_alerts_enabled": True}
    assert not {"is_owner", "roles_checked_at"} & downgraded
    await upgrade(url)  # SQLite rebuilt the tables twice: constraints and indexes survive
    assert await inspect_database(url, differences) == []
