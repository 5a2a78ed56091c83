"""The front door's installation lookups against the real Data Service: cached, bounded,
shared between concurrent requests, unknown and inactive ones remembered only briefly."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr
from quart import Quart
from structlog.testing import capture_logs

from jeeves_frontend.app import create_app
from jeeves_frontend.authorize import Installations
from jeeves_frontend.settings import FrontendSettings
from jeeves_shared.bus.memory import MemoryBus
from jeeves_shared.bus.topology import WORKER_QUEUES
from jeeves_shared.dataclient import DataServiceClient, NewInstallation
from jeeves_shared.installations import InstallationKey
from tests.support.dataservice import serving_dataservice
from tests.support.memory_bus import published_actions
from tests.support.production import DASHBOARD_SECRET_KEY
from tests.support.rabbitmq import free_port
from tests.support.slack_requests import SIGNING_SECRET, encode, event_callback, mention, sign

KEY = InstallationKey(None, "T0AAA")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def data(tmp_path: Path) -> AsyncIterator[DataServiceClient]:
    async with serving_dataservice(tmp_path) as served, aiohttp.ClientSession() as session:
        client = served.client(session, "installations:read", "installations:write")
        await client.save_installation(
            NewInstallation(team_id="T0AAA", bot_user_id="UBOT", bot_token=SecretStr("xoxb-a"))
        )
        yield client


async def test_a_lookup_is_cached_until_its_ttl(data: DataServiceClient) -> None:
    clock = Clock()
    installations = Installations(lambda: data, size=10, ttl=30, clock=clock)
    found = await installations.find(KEY)
    assert found is not None and found.active and found.bot_user_id == "UBOT"
    clock.now = 29
    assert await installations.find(KEY) == found
    assert (installations.lookups, installations.fetches) == (2, 1)
    clock.now = 31
    await installations.find(KEY)
    assert installations.fetches == 2
    assert installations.hit_rate == pytest.approx(1 / 3)


async def test_unknown_and_inactive_installations_are_remembered_briefly(
    data: DataServiceClient,
) -> None:
    clock = Clock()
    installations = Installations(lambda: data, size=10, ttl=30, negative_ttl=5, clock=clock)
    elsewhere = InstallationKey(None, "T0NONE")
    assert await installations.find(elsewhere) is None
    assert await installations.find(elsewhere) is None
    assert installations.fetches == 1  # a flood from an unknown workspace stays here
    await data.save_installation(
        NewInstallation(team_id="T0NONE", bot_user_id="UBOT", bot_token=SecretStr("xoxb-n"))
    )
    clock.now = 6  # installed meanwhile, through another process: seen within seconds
    found = await installations.find(elsewhere)
    assert found is not None and found.active


async def test_concurrent_lookups_of_one_installation_make_one_request(
    data: DataServiceClient,
) -> None:
    installations = Installations(lambda: data, size=10, ttl=30)
    found = await asyncio.gather(*(installations.find(KEY) for _ in range(20)))
    assert len({f.bot_user_id for f in found if f is not None}) == 1
    assert installations.fetches == 1


async def test_forget_drops_the_entry_after_a_lifecycle_event(data: DataServiceClient) -> None:
    installations = Installations(lambda: data, size=10, ttl=30)
    assert (await installations.find(KEY)) is not None
    await data.deactivate_installation(KEY, reason="app_uninstalled")
    installations.forget(KEY)
    found = await installations.find(KEY)
    assert found is not None and not found.active
    assert found.inactive_reason == "app_uninstalled"


async def test_the_cache_is_bounded(data: DataServiceClient) -> None:
    installations = Installations(lambda: data, size=2, ttl=30)
    for team in ("T1", "T2", "T3", "T0AAA"):
        await installations.find(InstallationKey(None, team))
    assert len(installations._cache) == 2


def front_door(dataservice: DataServiceClient, bus: MemoryBus) -> Quart:
    settings = FrontendSettings(
        slack_signing_secret=SIGNING_SECRET,
        slack_client_id="1111.2222",
        slack_client_secret="test-slack-client-secret",
        dashboard_secret_keys=DASHBOARD_SECRET_KEY,  # type: ignore[arg-type]
    )
    return create_app(settings, bus=bus, dataservice=dataservice)


async def post(app: Quart, payload: dict[str, Any]) -> int:
    body = encode(payload)
    response = await app.test_client().post("/slack/events", data=body, headers=sign(body))
    return response.status_code


async def test_the_front_door_publishes_only_for_an_active_installation(
    data: DataServiceClient,
) -> None:
    bus = MemoryBus(tuple(WORKER_QUEUES.values()))
    app = front_door(data, bus)
    ours = event_callback(mention("help"), event_id="Ev1")
    ours["authorizations"][0]["team_id"] = "T0AAA"
    theirs = event_callback(mention("help"), event_id="Ev2")  # T0001: never installed
    with capture_logs() as logs:
        assert await post(app, ours) == 200
        assert await post(app, theirs) == 200
    assert [a.conversation.team_id for a in published_actions(bus)] == ["T0AAA"]
    [ignored] = [line for line in logs if line["event"] == "slack.ignored"]
    assert ignored["reason"] == "Jeeves is not installed there"
    assert ignored["team_id"] == "T0001"


async def test_without_the_data_service_the_event_is_refused_for_slack_to_retry() -> None:
    async def token() -> str:
        return "unused"

    async with aiohttp.ClientSession() as session:
        nowhere = DataServiceClient(
            session, f"http://127.0.0.1:{free_port()}", token, retries=0, backoff=0.01
        )
        bus = MemoryBus(tuple(WORKER_QUEUES.values()))
        app = front_door(nowhere, bus)
        assert await post(app, event_callback(mention("help"), event_id="Ev3")) == 503
        assert published_actions(bus) == []
