"""Each service's ``asgi.py`` serves under Hypercorn alone, with Jeeves' logging configured."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.support.http import wait_until_ready
from tests.support.rabbitmq import free_port


@pytest.mark.parametrize("package", ["jeeves_frontend", "dataservice", "tokendealer"])
async def test_the_asgi_app_serves_and_logs_as_jeeves_does(package: str, tmp_path: Path) -> None:
    bind = f"127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "JEEVES_ENV": "dev",
        "JEEVES_LOG_FORMAT": "json",
        "JEEVES_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'jeeves.db'}",
        # A broker nobody listens on: the front door serves, unready, without one.
        "JEEVES_AMQP_URL": f"amqp://guest:guest@127.0.0.1:{free_port()}/",
    }
    hypercorn = Path(sys.executable).with_name("hypercorn")
    process = await asyncio.create_subprocess_exec(
        str(hypercorn),
        "--bind",
        bind,
        f"{package}.asgi:app",
        env=env,
        stderr=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
    )
    try:
        async with aiohttp.ClientSession() as session:
            await wait_until_ready(session, f"http://{bind}/healthz")
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    lines = [line for line in stderr.decode().splitlines() if line.strip()]
    # Hypercorn's command line sets up its own loggers ("[date] [pid] [LEVEL] ..."); every other
    # line is Jeeves' own, and JEEVES_LOG_FORMAT=json made each one a JSON object.
    ours = [line for line in lines if not line.startswith("[")]
    assert ours, lines
    assert all(json.loads(line)["level"] for line in ours), ours
