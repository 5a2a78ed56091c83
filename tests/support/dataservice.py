"""The real Data Service on SQLite, served by Hypercorn on 127.0.0.1, for workers' tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from cryptography.fernet import Fernet
from hypercorn.asyncio import serve
from hypercorn.config import Config

from dataservice.app import create_app
from dataservice.migrate import upgrade
from dataservice.settings import DataServiceSettings
from jeeves_shared.auth import TokenVerifier
from jeeves_shared.dataclient import DataServiceClient
from tests.support.http import wait_until_ready
from tests.support.rabbitmq import free_port
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


@asynccontextmanager
async def serving_dataservice(folder: Path) -> AsyncIterator[ServedData]:
    """A migrated SQLite database in ``folder`` and the Data Service serving it."""
    database_url = f"sqlite+aiosqlite:///{folder / 'data.db'}"
    await upgrade(database_url)
    issuer = TestIssuer(audience="dataservice")
    settings = DataServiceSettings(
        env="prod",  # type: ignore[arg-type]
        database_url=database_url,  # type: ignore[arg-type]
        dataservice_encryption_keys=Fernet.generate_key().decode(),  # type: ignore[arg-type]
    )
    verifier = TokenVerifier(issuer.source(), audience="dataservice", issuer=issuer.issuer)
    app = create_app(settings, verifier=verifier)
    config = Config()
    port = free_port()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    stop = asyncio.Event()
    server = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            await wait_until_ready(session, f"{url}/readyz")
        yield ServedData(url, issuer)
    finally:
        stop.set()
        await server
