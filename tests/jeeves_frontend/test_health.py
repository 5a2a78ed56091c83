"""The front door's ``/readyz`` turns 503 ``draining`` on shutdown, before it stops serving."""

from __future__ import annotations

import asyncio

import aiohttp

from jeeves.serving import serve_app
from jeeves_frontend.app import create_app
from jeeves_frontend.settings import FrontendSettings
from jeeves_shared.bus.memory import MemoryBus
from jeeves_shared.bus.topology import WORKER_QUEUES
from jeeves_shared.runtime.lifecycle import start_draining
from tests.support.http import wait_for_status, wait_until_ready
from tests.support.production import DASHBOARD_SECRET_KEY
from tests.support.rabbitmq import free_port
from tests.support.slack_requests import SIGNING_SECRET

SETTINGS = FrontendSettings(
    slack_signing_secret=SIGNING_SECRET,
    dashboard_secret_keys=DASHBOARD_SECRET_KEY,  # type: ignore[arg-type]
)


async def test_readyz_is_503_draining_once_the_app_drains() -> None:
    app = create_app(SETTINGS, bus=MemoryBus(tuple(WORKER_QUEUES.values())))
    async with app.test_app():
        client = app.test_client()
        before = await client.get("/readyz")
        start_draining(app)
        after = await client.get("/readyz")
        alive = await client.get("/healthz")

    ready = {"status": "ready", "checks": {"broker": "ok"}}
    assert (before.status_code, await before.get_json()) == (200, ready)
    draining = {"status": "draining", "checks": {"broker": "ok"}}
    assert (after.status_code, await after.get_json()) == (503, draining)
    assert alive.status_code == 200


async def test_a_stopping_server_reports_draining_while_it_still_serves() -> None:
    bind = f"127.0.0.1:{free_port()}"
    app = create_app(SETTINGS, bus=MemoryBus(tuple(WORKER_QUEUES.values())))
    stop = asyncio.Event()
    server = asyncio.create_task(serve_app(app, bind, stop, grace=2.0))
    async with aiohttp.ClientSession() as session:
        await wait_until_ready(session, f"http://{bind}/readyz")
        stop.set()
        draining = await wait_for_status(session, f"http://{bind}/readyz", 503)
        async with session.get(f"http://{bind}/healthz") as alive:
            assert alive.status == 200
    assert draining == {"status": "draining", "checks": {"broker": "ok"}}
    await asyncio.wait_for(server, 30)
