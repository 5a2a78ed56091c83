"""The whole of Jeeves in one test: every service on a real port, every worker on RabbitMQ.

TokenDealer (dev keys and client), Data Service (a fresh SQLite file, migrated), front door,
every worker kind with its own AMQP connection, and the scheduler, all on 127.0.0.1 in the
test's event loop. Slack and the weather provider are the local fakes. Time, for the scheduler
and for reminders, is a :class:`WallClock` the test moves.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from dataservice.settings import DataServiceSettings
from jeeves.dev import data_services
from jeeves.serving import serve_app
from jeeves_frontend.app import create_app as create_frontend
from jeeves_frontend.settings import FrontendSettings
from jeeves_shared.auth.client import TokenClient
from jeeves_shared.bus.amqp import AmqpBus
from jeeves_shared.bus.topology import WORKER_QUEUES
from jeeves_shared.dataclient import (
    WORKER_SCOPES,
    DataServiceClient,
    Installation,
    NewInstallation,
)
from jeeves_shared.runtime.settings import Environment
from tests.support.clock import WallClock
from tests.support.fake_slack import FakeSlack
from tests.support.fake_weather import FakeWeather
from tests.support.http import wait_until_ready
from tests.support.production import DASHBOARD_SECRET_KEY
from tests.support.rabbitmq import free_port
from tests.support.slack_requests import (
    SIGNING_SECRET,
    direct_message,
    event_callback,
    post_event,
    sign,
)
from tokendealer.clients import DEV_CLIENT_ID, DEV_CLIENT_SECRET
from tokendealer.settings import TokenDealerSettings
from workers.runner import KINDS, serve_kind, serve_scheduler
from workers.settings import WorkerSettings

#: The Slack app's client id when the stack runs with OAuth installs on.
SLACK_CLIENT_ID = "1111.2222"
SLACK_CLIENT_SECRET = "stack-slack-client-secret"


@dataclass
class Stack:
    """A running Jeeves: post to :attr:`url`; Slack sees :attr:`slack`."""

    url: str
    slack: FakeSlack
    weather: FakeWeather
    clock: WallClock
    session: aiohttp.ClientSession
    #: What the workers run with (a test can start more workers with it).
    worker_settings: WorkerSettings

    def data_client(self, scopes: tuple[str, ...] = WORKER_SCOPES) -> DataServiceClient:
        """A Data Service client of the workers' (dev) client, to read or arrange state."""
        settings = self.worker_settings
        tokens = TokenClient(
            self.session,
            token_url=f"{settings.tokendealer_url}/oauth/token",
            client_id=settings.worker_client_id,
            client_secret=settings.worker_client_secret.get_secret_value(),
        )
        return DataServiceClient.from_token_client(
            self.session, settings.dataservice_url, tokens, scopes=scopes
        )

    async def install(self, installation: NewInstallation) -> Installation:
        """Record an install, as the install pages do after ``oauth.v2.access``."""
        data = self.data_client(("installations:write",))
        return await data.save_installation(installation)

    async def event(self, payload: dict[str, Any]) -> int:
        """POST a signed Events API payload; return the status."""
        return await post_event(self.session, self.url, payload)

    async def slash(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """POST a signed slash command; return the status and the JSON acknowledgement."""
        body = urlencode(form).encode()
        headers = sign(body, content_type="application/x-www-form-urlencoded")
        async with self.session.post(
            f"{self.url}/slack/commands", data=body, headers=headers
        ) as response:
            return response.status, await response.json(content_type=None)


class Conversation:
    """One user talking to Jeeves in a DM, one message at a time."""

    def __init__(self, stack: Stack, user: str = "U0001", channel: str = "D0001") -> None:
        self.stack = stack
        self.user = user
        self.channel = channel
        self.sent = 0

    async def say(self, text: str) -> str:
        """Send ``text`` and return Jeeves' answer (every part of it)."""
        self.sent += 1
        before = len(self.stack.slack.posts)
        event = direct_message(
            text, channel=self.channel, user=self.user, ts=f"1700000000.{self.sent:06d}"
        )
        assert (
            await self.stack.event(event_callback(event, event_id=f"Ev{self.user}{self.sent}"))
            == 200
        )
        await self.stack.slack.wait_for_posts(before + 1)
        return "\n".join(p["text"] for p in self.stack.slack.posts[before:])


@asynccontextmanager
async def running_stack(
    amqp_url: str,
    folder: Path,
    *,
    weather_api_key: str | None = None,
    installations: bool = False,
) -> AsyncIterator[Stack]:
    """Start everything; stop everything (draining) on exit.

    ``weather_api_key=""`` runs the workers without a weather key (the fake's key otherwise).
    With ``installations``, Slack's OAuth install is on (``JEEVES_SLACK_CLIENT_ID``): the front
    door authorizes each event per installation and the workers use each installation's token
    from the Data Service (record installations with :meth:`Stack.install`); otherwise one
    workspace is served with the token ``xoxb-stack``.
    """
    stop, stop_services = asyncio.Event(), asyncio.Event()
    clock = WallClock(datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    async with FakeSlack() as slack, FakeWeather() as weather:
        binds = {name: f"127.0.0.1:{free_port()}" for name in ("front", "data", "dealer")}
        servers = await _services(
            amqp_url, folder, binds, stop_services, clock, slack, installations=installations
        )
        settings = WorkerSettings(
            amqp_url=amqp_url,
            slack_bot_token="" if installations else "xoxb-stack",
            slack_client_id=SLACK_CLIENT_ID if installations else "",
            slack_api_url=slack.base_url,
            slack_response_url_prefix=slack.response_url(""),
            weather_api_url=weather.base_url,
            weather_api_key=weather.api_key if weather_api_key is None else weather_api_key,
            dataservice_url=f"http://{binds['data']}",
            tokendealer_url=f"http://{binds['dealer']}",
            worker_client_id=DEV_CLIENT_ID,
            worker_client_secret=DEV_CLIENT_SECRET,
            scheduler_interval=0.1,
            public_url=f"http://{binds['front']}",
        )
        buses = [AmqpBus(amqp_url, declare=WORKER_QUEUES.values()) for _ in range(len(KINDS) + 1)]
        for bus in buses:
            await bus.start()
            await bus.wait_ready(10)
        services = [asyncio.create_task(server) for server in servers]
        tasks = [
            asyncio.create_task(serve_kind(kind, settings, bus, stop, clock))
            for kind, bus in zip(KINDS.values(), buses, strict=False)
        ]
        tasks.append(asyncio.create_task(serve_scheduler(settings, buses[-1], stop, clock)))
        async with aiohttp.ClientSession() as session:
            for bind in binds.values():
                await wait_until_ready(session, f"http://{bind}/readyz")
            try:
                yield Stack(f"http://{binds['front']}", slack, weather, clock, session, settings)
            finally:
                stop.set()  # workers first, while the services they call are still up
                await asyncio.gather(*tasks)
                stop_services.set()
                await asyncio.gather(*services)
                for bus in buses:
                    await bus.close()


async def _services(
    amqp_url: str,
    folder: Path,
    binds: dict[str, str],
    stop: asyncio.Event,
    clock: WallClock,
    slack: FakeSlack,
    *,
    installations: bool,
) -> list[Coroutine[Any, Any, None]]:
    oauth: dict[str, Any] = {}
    if installations:
        oauth = {
            "slack_client_id": SLACK_CLIENT_ID,
            "slack_client_secret": SLACK_CLIENT_SECRET,
            "slack_api_url": slack.base_url,
            "frontend_client_id": DEV_CLIENT_ID,
            "frontend_client_secret": DEV_CLIENT_SECRET,
            "dataservice_url": f"http://{binds['data']}",
            "tokendealer_url": f"http://{binds['dealer']}",
        }
    front = create_frontend(
        FrontendSettings(
            slack_signing_secret=SIGNING_SECRET,
            amqp_url=amqp_url,
            public_url=f"http://{binds['front']}",
            dashboard_secret_keys=DASHBOARD_SECRET_KEY,  # type: ignore[arg-type]
            **oauth,
        )
    )
    data = await data_services(
        stop,
        TokenDealerSettings(env=Environment.DEV, tokendealer_bind=binds["dealer"]),
        DataServiceSettings(
            env=Environment.DEV,
            database_url=f"sqlite+aiosqlite:///{folder / 'jeeves.db'}",
            dataservice_bind=binds["data"],
            # Where it refreshes rotating tokens (with the Slack app's credentials).
            slack_api_url=slack.base_url,
            slack_client_id=SLACK_CLIENT_ID if installations else "",
            slack_client_secret=SLACK_CLIENT_SECRET if installations else "",
        ),
        clock,
    )
    return [*data, serve_app(front, binds["front"], stop)]
