"""Waiting for a server under test to answer."""

from __future__ import annotations

import asyncio
import time

import aiohttp


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
