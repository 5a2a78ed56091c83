"""The client's fixtures: the real Data Service served by Hypercorn on 127.0.0.1 (on each
database backend, see :mod:`tests.support.dataservice_fixtures`), a session to call it, and a
client of it with every scope."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from dataservice.app import create_app
from jeeves_shared.dataclient import DataServiceClient
from tests.support.dataclient import make_client
from tests.support.dataservice_fixtures import (  # noqa: F401 - fixtures, found by name
    WallClock,
    backend,
    clock,
    database_url,
    issuer,
    make_settings,
    make_verifier,
    postgres_database,
    postgres_server,
    sqlite_template,
)
from tests.support.http import serving
from tests.support.tokens import TestIssuer


@pytest.fixture
async def base_url(
    database_url: str,  # noqa: F811
    issuer: TestIssuer,  # noqa: F811
    clock: WallClock,  # noqa: F811
) -> AsyncIterator[str]:
    """The Data Service served by Hypercorn on a free port of 127.0.0.1."""
    app = create_app(make_settings(database_url), verifier=make_verifier(issuer), clock=clock)
    async with serving(app) as url:
        yield url


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session, closed after the test."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def client(
    session: aiohttp.ClientSession,
    base_url: str,
    issuer: TestIssuer,  # noqa: F811
) -> DataServiceClient:
    """A client of the served Data Service with every scope (:func:`make_client`)."""
    return make_client(session, base_url, issuer)
