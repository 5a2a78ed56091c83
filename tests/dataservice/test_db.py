"""The connection pool: a fixed number of connections, reused, never churned under load."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import Connection, event, text

from dataservice.db import open_database


def _slow_read(conn: Connection) -> int:
    value: int = conn.execute(text("SELECT 1 FROM pg_sleep(0.05)")).scalar_one()
    return value


@pytest.mark.postgres
async def test_reads_beyond_the_pool_size_wait_instead_of_opening_connections(
    postgres_database: str,
) -> None:
    database = open_database(postgres_database, pool_size=2)
    opened: list[Any] = []
    event.listen(database.engine.sync_engine, "connect", lambda conn, _record: opened.append(conn))
    try:
        for _ in range(2):
            assert await asyncio.gather(*(database.read(_slow_read) for _ in range(8))) == [1] * 8
    finally:
        await database.dispose()
    assert len(opened) == 2
