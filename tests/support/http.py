"""Serving an app under test on 127.0.0.1, and waiting for a server under test to answer."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart


async def wait_until_ready(session: aiohttp.ClientSession, url: str, timeout: float = 30) -> None:
    """Poll ``url`` (a ``/readyz``) until it answers 200; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            async with session.get(url) as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError(f"{url} was not ready within {timeout} s")


@asynccontextmanager
async def serving(app: Quart) -> AsyncIterator[str]:
    """Serve ``app`` with Hypercorn on a free port of 127.0.0.1; its base URL once it answers
    ``/healthz``. The socket is bound here and handed over, so no other process can take the
    port in between."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = Config()
    config.bind = [f"fd://{sock.detach()}"]
    config.accesslog = None
    stop = asyncio.Event()
    server = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))
    try:
        async with aiohttp.ClientSession() as session:
            await wait_until_ready(session, f"{url}/healthz")
        yield url
    finally:
        stop.set()
        await server


async def wait_for_status(
    session: aiohttp.ClientSession, url: str, status: int, timeout: float = 30
) -> Any:
    """Poll ``url`` until it answers ``status``; return the JSON body of that answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            async with session.get(url) as response:
                if response.status == status:
                    return await response.json()
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError(f"{url} did not answer {status} within {timeout} s")


@asynccontextmanager
async def serving_handler(
    method: str, path: str, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> AsyncIterator[str]:
    """Serve one aiohttp ``handler`` at ``method path`` on a free port of 127.0.0.1 (a fake of
    a server we call, such as the TokenDealer); its full URL until the block ends."""
    app = web.Application()
    app.router.add_route(method, path, handler)
    async with TestServer(app, host="127.0.0.1") as server:
        yield str(server.make_url(path))
