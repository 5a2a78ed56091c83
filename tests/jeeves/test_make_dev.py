"""``make dev``, the README's first command, stops Jeeves when make itself is stopped."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from pathlib import Path

import aiohttp
import pytest

from tests.support.http import wait_until_ready
from tests.support.processes import clean_env
from tests.support.rabbitmq import free_port

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
async def test_sigterm_to_make_stops_jeeves_dev(tmp_path: Path) -> None:
    front = f"127.0.0.1:{free_port()}"
    env = clean_env(
        JEEVES_FRONTEND_BIND=front,
        JEEVES_DATASERVICE_BIND=f"127.0.0.1:{free_port()}",
        JEEVES_TOKENDEALER_BIND=f"127.0.0.1:{free_port()}",
        JEEVES_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'dev.db'}",
    )
    # Its own process group, so that afterwards we can tell whether anything of it is left.
    make = await asyncio.create_subprocess_exec(
        "make",
        "-s",
        "-C",
        str(REPOSITORY),
        "dev",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        async with aiohttp.ClientSession() as session:
            await wait_until_ready(session, f"http://{front}/readyz", timeout=60)
        make.send_signal(signal.SIGTERM)
        await asyncio.wait_for(make.wait(), 30)
        for _ in range(300):
            if not is_group_alive(make.pid):
                break
            await asyncio.sleep(0.1)
        assert not is_group_alive(make.pid), "jeeves dev outlived make"
    finally:
        if is_group_alive(make.pid):
            os.killpg(make.pid, signal.SIGKILL)


def is_group_alive(pgid: int) -> bool:
    """True while some process of process group ``pgid`` runs."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
