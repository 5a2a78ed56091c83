"""An idle client's next call goes through at once, on the production server's own settings.

Under Hypercorn's default 5 s keep-alive, the scheduler (a call every 5 s) reused a connection
the server was closing at that instant, and every tick logged ``dataservice.retry status=0``.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from structlog.testing import capture_logs

from jeeves.serving import serve_app
from jeeves_shared.dataclient import DataServiceClient
from tests.support.dataservice import dataservice_app
from tests.support.http import wait_until_ready
from tests.support.tokens import TestIssuer

#: Longer than Hypercorn's default keep-alive (5 s), shorter than aiohttp's pool keeps a
#: connection (15 s): the window in which the server used to close what the client would reuse.
IDLE_SECONDS = 5.5


@pytest.fixture
async def production_served(tmp_path: Path) -> AsyncIterator[tuple[str, TestIssuer]]:
    """The Data Service served as ``jeeves serve`` serves it (:func:`jeeves.serving.serve_app`)."""
    app, issuer = await dataservice_app(tmp_path)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    stop = asyncio.Event()
    server = asyncio.create_task(serve_app(app, f"fd://{sock.detach()}", stop))
    try:
        async with aiohttp.ClientSession() as session:
            await wait_until_ready(session, f"{url}/healthz")
        yield url, issuer
    finally:
        stop.set()
        await server


async def test_a_call_after_an_idle_spell_needs_no_retry(
    production_served: tuple[str, TestIssuer],
) -> None:
    url, issuer = production_served
    connections = 0

    async def count(*_: object) -> None:
        nonlocal connections
        connections += 1

    tracing = aiohttp.TraceConfig()
    tracing.on_connection_create_end.append(count)

    async def token() -> str:
        return issuer.mint(scope="users:write")

    async with aiohttp.ClientSession(trace_configs=[tracing]) as session:
        data = DataServiceClient(session, url, token)
        with capture_logs() as logs:
            await data.get_or_create_user("T1", "U1")
            await asyncio.sleep(IDLE_SECONDS)
            again = await data.get_or_create_user("T1", "U1")

    assert again.slack_user_id == "U1"
    assert [entry for entry in logs if entry["event"] == "dataservice.retry"] == []
    # The server kept the idle connection open, so the client reused it: the server never
    # closes a connection the client may still pick from its pool.
    assert connections == 1
