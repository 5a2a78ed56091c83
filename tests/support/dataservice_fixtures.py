"""Fixtures of the Data Service's tests and of its client's: a migrated database on each
backend, the app serving on it, tokens to call it.

A conftest that needs them imports the fixtures by name (``from
tests.support.dataservice_fixtures import app, auth, ...``); test modules import the helpers
(``Auth``, ``make_settings``...; the clock is :class:`tests.support.clock.WallClock`).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg  # type: ignore[import-untyped]
import pytest
from cryptography.fernet import Fernet
from quart import Quart

from dataservice.app import create_app
from dataservice.migrate import upgrade
from dataservice.models import Base
from dataservice.settings import DataServiceSettings
from jeeves_shared.auth import TokenVerifier
from jeeves_shared.dataclient.scopes import DATASERVICE_SCOPES
from tests.support.clock import WallClock
from tests.support.postgres import PostgresServer, postgres_server  # noqa: F401
from tests.support.tokens import TestIssuer

AUDIENCE = "dataservice"
ALL_SCOPES = DATASERVICE_SCOPES
ENCRYPTION_KEY = Fernet.generate_key().decode()
Auth = Callable[..., dict[str, str]]

if TYPE_CHECKING:
    from quart.typing import TestClientProtocol


def make_settings(database_url: str, **overrides: object) -> DataServiceSettings:
    """Production-mode settings for ``database_url`` with a real encryption key."""
    values: dict[str, object] = {
        "env": "prod",
        "database_url": database_url,
        "dataservice_encryption_keys": ENCRYPTION_KEY,
        **overrides,
    }
    return DataServiceSettings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; tests get copies."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    asyncio.run(upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_database(postgres_server: PostgresServer) -> str:  # noqa: F811
    """The URL of a PostgreSQL database migrated once for the session.

    Tests share it, emptied before each one: ``CREATE DATABASE`` from a template costs
    ~0.3 s here (two checkpoints), emptying the tables ~5 ms.
    """

    async def migrate() -> str:
        name = await postgres_server.create_database()
        await upgrade(postgres_server.url(name))
        return postgres_server.url(name)

    return asyncio.run(migrate())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """Which database the test runs on; migrations run here, outside any event loop."""
    request.getfixturevalue(
        f"{request.param}_template" if request.param == "sqlite" else "postgres_database"
    )
    return str(request.param)


@pytest.fixture
async def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database on ``backend`` holding no rows."""
    if backend == "sqlite":
        path = tmp_path / "jeeves.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    await empty_postgres(url)
    return url


async def empty_postgres(url: str) -> None:
    """Delete every row and restart the id sequences."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
        statements = [f"DELETE FROM {name}" for name in tables]
        sequences = ("workspaces", "users", "reminders")
        statements += [f"ALTER SEQUENCE {name}_id_seq RESTART" for name in sequences]
        await conn.execute("; ".join(statements))
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def issuer() -> TestIssuer:
    """Signs tokens the app's verifier trusts."""
    return TestIssuer(audience=AUDIENCE)


def make_verifier(issuer: TestIssuer) -> TokenVerifier:
    """A verifier trusting ``issuer`` with the static JWKS."""
    return TokenVerifier(issuer.source(), audience=AUDIENCE, issuer=issuer.issuer)


@pytest.fixture
def clock() -> WallClock:
    """The clock of :func:`app`; set ``clock.now`` to stop time."""
    return WallClock()


@pytest.fixture
async def app(database_url: str, issuer: TestIssuer, clock: WallClock) -> AsyncIterator[Quart]:
    """The Data Service, serving (before_serving has run) on a fresh database."""
    app = create_app(make_settings(database_url), verifier=make_verifier(issuer), clock=clock)
    async with app.test_app():
        yield app


@pytest.fixture
def client(app: Quart) -> TestClientProtocol:
    """A test client of :func:`app`."""
    return app.test_client()


@pytest.fixture
def auth(issuer: TestIssuer) -> Auth:
    """``auth("users:read")`` → headers with a bearer token granting those scopes."""
    cache: dict[tuple[str, ...], dict[str, str]] = {}

    def headers(*scopes: str) -> dict[str, str]:
        if scopes not in cache:
            token = issuer.mint(scope=" ".join(scopes), sub="test-worker")
            cache[scopes] = {"Authorization": f"Bearer {token}"}
        return dict(cache[scopes])

    return headers
