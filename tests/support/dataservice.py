"""The real Data Service on SQLite, served by Hypercorn on 127.0.0.1, for workers' tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
from cryptography.fernet import Fernet
from quart import Quart

from dataservice.app import create_app
from dataservice.migrate import upgrade
from dataservice.models import utcnow
from dataservice.settings import DataServiceSettings
from jeeves_shared.auth import TokenVerifier
from jeeves_shared.dataclient import DataServiceClient
from tests.support.http import serving
from tests.support.tokens import TestIssuer


@dataclass(frozen=True)
class ServedData:
    """Where the Data Service listens, and who can mint tokens it accepts."""

    url: str
    issuer: TestIssuer

    def client(self, session: aiohttp.ClientSession, *scopes: str) -> DataServiceClient:
        """A client with tokens for ``scopes``."""

        async def token() -> str:
            return self.issuer.mint(scope=" ".join(scopes))

        return DataServiceClient(session, self.url, token, retries=1, backoff=0.01)


async def dataservice_app(
    folder: Path, clock: Callable[[], datetime] = utcnow, **settings: Any
) -> tuple[Quart, TestIssuer]:
    """The Data Service app on a migrated SQLite database in ``folder`` (production settings,
    a fresh encryption key, ``clock`` its time, and ``settings``), and the issuer of the tokens
    it accepts; not yet served."""
    database_url = f"sqlite+aiosqlite:///{folder / 'data.db'}"
    await upgrade(database_url)
    issuer = TestIssuer(audience="dataservice")
    configured = DataServiceSettings(
        env="prod",  # type: ignore[arg-type]
        database_url=database_url,  # type: ignore[arg-type]
        dataservice_encryption_keys=Fernet.generate_key().decode(),  # type: ignore[arg-type]
        **settings,
    )
    verifier = TokenVerifier(issuer.source(), audience="dataservice", issuer=issuer.issuer)
    return create_app(configured, verifier=verifier, clock=clock), issuer


@asynccontextmanager
async def serving_dataservice(
    folder: Path, clock: Callable[[], datetime] = utcnow, **settings: Any
) -> AsyncIterator[ServedData]:
    """A migrated SQLite database in ``folder`` and the Data Service serving it (its time from
    ``clock``; ``settings``, e.g. the fake Slack app's credentials)."""
    app, issuer = await dataservice_app(folder, clock, **settings)
    async with serving(app) as url:
        yield ServedData(url, issuer)
