"""The front door's own Data Service client: a token from the real TokenDealer, calls to the real
Data Service, reached from a view's context as ``front_door().dataservice``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr

from dataservice.settings import DataServiceSettings
from jeeves.dev import data_services
from jeeves_frontend.app import create_app
from jeeves_frontend.settings import FrontendSettings
from jeeves_frontend.state import DataServiceNotConfigured, front_door
from jeeves_shared.auth.errors import TokenRequestFailed
from jeeves_shared.bus.memory import MemoryBus
from jeeves_shared.dataclient import NewInstallation
from jeeves_shared.installations import InstallationKey
from jeeves_shared.runtime.settings import Environment
from tests.support.http import wait_until_ready
from tests.support.production import DASHBOARD_SECRET_KEY
from tests.support.rabbitmq import free_port
from tests.support.slack_requests import SIGNING_SECRET
from tokendealer.clients import DEV_CLIENT_ID, DEV_CLIENT_SECRET
from tokendealer.settings import TokenDealerSettings


@pytest.fixture
async def binds(tmp_path: Path) -> AsyncIterator[dict[str, str]]:
    """The TokenDealer (its dev client) and the Data Service, served on free ports."""
    binds = {name: f"127.0.0.1:{free_port()}" for name in ("data", "dealer")}
    stop = asyncio.Event()
    servers = await data_services(
        stop,
        TokenDealerSettings(env=Environment.DEV, tokendealer_bind=binds["dealer"]),
        DataServiceSettings(
            env=Environment.DEV,
            database_url=SecretStr(f"sqlite+aiosqlite:///{tmp_path / 'jeeves.db'}"),
            dataservice_bind=binds["data"],
        ),
    )
    tasks = [asyncio.create_task(server) for server in servers]
    try:
        async with aiohttp.ClientSession() as session:
            for bind in binds.values():
                await wait_until_ready(session, f"http://{bind}/readyz")
        yield binds
    finally:
        stop.set()
        await asyncio.gather(*tasks)


def frontend_settings(binds: dict[str, str], secret: str) -> FrontendSettings:
    return FrontendSettings(
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        dashboard_secret_keys=SecretStr(DASHBOARD_SECRET_KEY),
        dataservice_bind=binds["data"],
        tokendealer_bind=binds["dealer"],
        frontend_client_id=DEV_CLIENT_ID,
        frontend_client_secret=SecretStr(secret),
    )


async def test_a_view_saves_and_finds_installations(binds: dict[str, str]) -> None:
    app = create_app(frontend_settings(binds, DEV_CLIENT_SECRET), bus=MemoryBus())
    installation = NewInstallation(
        team_id="T1", bot_user_id="UJEEVESBOT", bot_token=SecretStr("xoxb-1-2")
    )

    async with app.test_app(), app.app_context():
        data = front_door().dataservice
        saved = await data.save_installation(installation)
        found = await data.find_installation(InstallationKey(None, "T1"))

    assert found == saved
    assert app.extensions["jeeves"].data_client is None  # closed with the app


async def test_a_wrong_secret_is_refused_by_the_tokendealer(binds: dict[str, str]) -> None:
    app = create_app(frontend_settings(binds, "not-the-secret"), bus=MemoryBus())

    async with app.test_app(), app.app_context():
        with pytest.raises(TokenRequestFailed) as refused:
            await front_door().dataservice.find_installation(InstallationKey(None, "T1"))

    assert refused.value.error == "invalid_client"


async def test_without_a_client_secret_there_is_no_client(binds: dict[str, str]) -> None:
    app = create_app(frontend_settings(binds, ""), bus=MemoryBus())

    async with app.test_app(), app.app_context():
        with pytest.raises(DataServiceNotConfigured):
            _ = front_door().dataservice
