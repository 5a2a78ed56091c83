"""Database engines, opened while the app serves and closed after."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from jeeves_shared.logs import redact_url

log = structlog.get_logger(__name__)

#: How long a SQLite writer waits for the write lock before failing.
SQLITE_BUSY_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class Database:
    """The engine for writes and an autocommit view of it for single-statement reads.

    Both share one connection pool. Reads in autocommit skip ``BEGIN``/``ROLLBACK``: one round
    trip instead of three for a ``GET``.
    """

    engine: AsyncEngine
    reader: AsyncEngine

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def open_database(url: str, *, pool_size: int) -> Database:
    """Create the engines for ``url`` (no connection is made until first use)."""
    engine = create_async_engine(url, **_engine_options(url, pool_size))
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
    log.info("database.opened", url=redact_url(url), dialect=engine.dialect.name)
    return Database(engine=engine, reader=engine.execution_options(isolation_level="AUTOCOMMIT"))


def _engine_options(url: str, pool_size: int) -> dict[str, Any]:
    if make_url(url).get_backend_name() == "sqlite":
        return {}
    # No pre-ping: it costs a round trip per request. A connection broken by a database restart
    # fails one request (a 5xx the client retries) and is then replaced.
    return {"pool_size": pool_size, "max_overflow": pool_size, "pool_recycle": 1800}


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Per-connection SQLite settings: enforce foreign keys, WAL, wait for locks."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()
