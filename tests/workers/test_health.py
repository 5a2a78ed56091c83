"""A worker's ``/healthz`` and ``/readyz``, served on a real port."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from pydantic import ValidationError

from jeeves_shared.bus.amqp import AmqpBus
from jeeves_shared.bus.memory import MemoryBus
from tests.support.http import wait_until_ready
from tests.support.rabbitmq import free_port
from workers.health import WorkerHealth, serve_health
from workers.runner import KINDS, serve_kind
from workers.settings import WorkerSettings


async def probe(session: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    async with session.get(url) as response:
        return response.status, await response.json()


async def test_readyz_goes_from_starting_to_ready_to_draining() -> None:
    bus, stop = MemoryBus(), asyncio.Event()
    health = WorkerHealth(bus, stop)
    bind = f"127.0.0.1:{free_port()}"
    async with serve_health(health, bind), aiohttp.ClientSession() as session:
        starting = await probe(session, f"http://{bind}/readyz")
        worker = asyncio.create_task(
            serve_kind(KINDS["help"], WorkerSettings(), bus, stop, health=health)
        )
        await wait_until_ready(session, f"http://{bind}/readyz", timeout=10)
        ready = await probe(session, f"http://{bind}/readyz")
        stop.set()
        draining = await probe(session, f"http://{bind}/readyz")
        alive = await probe(session, f"http://{bind}/healthz")
        await worker

    assert starting == (503, {"status": "starting", "checks": {}})
    assert ready == (200, {"status": "ready", "checks": {"broker": "ok"}})
    assert draining == (503, {"status": "draining", "checks": {"broker": "ok"}})
    assert alive == (200, {"status": "ok"})


async def test_readyz_is_unavailable_while_the_broker_is_away() -> None:
    bus = AmqpBus(f"amqp://guest:guest@127.0.0.1:{free_port()}/")
    health = WorkerHealth(bus, asyncio.Event())
    health.serving = True
    bind = f"127.0.0.1:{free_port()}"
    async with serve_health(health, bind), aiohttp.ClientSession() as session:
        answer = await probe(session, f"http://{bind}/readyz")
    assert answer == (503, {"status": "unavailable", "checks": {"broker": "not connected"}})


async def test_the_server_stops_with_its_context() -> None:
    health = WorkerHealth(MemoryBus(), asyncio.Event())
    bind = f"127.0.0.1:{free_port()}"
    async with aiohttp.ClientSession() as session:
        async with serve_health(health, bind):
            assert (await probe(session, f"http://{bind}/healthz"))[0] == 200
        with pytest.raises(aiohttp.ClientConnectionError):
            await probe(session, f"http://{bind}/healthz")


def test_the_health_bind_is_checked_at_start() -> None:
    assert WorkerSettings().worker_health_bind == ""
    assert WorkerSettings(worker_health_bind=" 0.0.0.0:8081 ").worker_health_bind == "0.0.0.0:8081"
    with pytest.raises(ValidationError, match="host:port"):
        WorkerSettings(worker_health_bind="8081")
