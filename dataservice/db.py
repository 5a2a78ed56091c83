"""Database engines, opened while the app serves and closed after."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util import greenlet_spawn

from jeeves_shared.observability.metrics import QUERY_DURATION
from jeeves_shared.runtime.logs import redact_url

log = structlog.get_logger(__name__)

#: How long a SQLite writer waits for the write lock before failing.
SQLITE_BUSY_TIMEOUT_MS = 10_000

T = TypeVar("T")


@dataclass(frozen=True)
class Database:
    """The engine for writes and an autocommit view of it for single-statement reads.

    Both share one connection pool. Reads in autocommit skip ``BEGIN``/``ROLLBACK``: one round
    trip instead of three for a ``GET``.
    """

    engine: AsyncEngine
    reader: AsyncEngine

    async def read(self, query: Callable[[Connection], T]) -> T:
        """Run the synchronous ``query(conn)`` on a reader connection, for hot reads.

        One hand-off to SQLAlchemy's greenlet instead of the async API's three (connect,
        execute, close): ~0.1 ms less CPU per ``GET``.
        """
        return await greenlet_spawn(_run_read, self.reader.sync_engine, query)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def open_database(url: str, *, pool_size: int) -> Database:
    """Create the engines for ``url`` (no connection is made until first use)."""
    engine = create_async_engine(url, **_engine_options(url, pool_size))
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
    event.listen(engine.sync_engine, "before_cursor_execute", _start_timer)
    event.listen(engine.sync_engine, "after_cursor_execute", _observe_query)
    log.info("database.opened", url=redact_url(url), dialect=engine.dialect.name)
    return Database(engine=engine, reader=engine.execution_options(isolation_level="AUTOCOMMIT"))


#: ``jeeves_dataservice_query_duration_seconds``' ``statement`` label: the SQL verb.
_STATEMENTS = {
    verb: QUERY_DURATION.labels(verb)
    for verb in ("select", "insert", "update", "delete", "with", "other")
}


def _start_timer(conn: Connection, *_: Any) -> None:
    """Before a statement goes to the driver: note when (the connection's ``info``, which only
    one statement at a time uses)."""
    conn.info["jeeves_query_started"] = time.perf_counter()


def _observe_query(conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
    started = conn.info.pop("jeeves_query_started", None)
    if started is None:
        return
    verb = statement[:8].split(None, 1)[0].lower() if statement.strip() else "other"
    (_STATEMENTS.get(verb) or _STATEMENTS["other"]).observe(time.perf_counter() - started)


def _run_read(engine: Engine, query: Callable[[Connection], T]) -> T:
    with engine.connect() as conn:
        return query(conn)


def _engine_options(url: str, pool_size: int) -> dict[str, Any]:
    if make_url(url).get_backend_name() == "sqlite":
        return {}
    # No pre-ping: it costs a round trip per request. A connection broken by a database restart
    # fails one request (a 5xx the client retries) and is then replaced.
    # No overflow: under load, overflow connections were opened and closed for every burst
    # (~13% of a GET's CPU at saturation); requests beyond ``pool_size`` wait for a free one.
    return {"pool_size": pool_size, "max_overflow": 0, "pool_recycle": 1800}


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Per-connection SQLite settings: enforce foreign keys, WAL, wait for locks."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()
