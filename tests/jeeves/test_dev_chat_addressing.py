"""``jeeves dev`` as a new user meets it: the README's ways of asking, and weather switched off."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import aiohttp

from tests.support.http import wait_until_ready
from tests.support.rabbitmq import free_port


async def ask(session: aiohttp.ClientSession, base: str, text: str) -> str:
    """Type ``text`` on the chat page's endpoint and wait for Jeeves' answer."""
    async with session.post(f"{base}/dev/chat/messages", json={"text": text}) as sent:
        assert sent.status == 202
        after = (await sent.json())["message"]["id"]
    async with session.get(
        f"{base}/dev/chat/messages", params={"after": after, "wait": 10}
    ) as polled:
        [answer] = (await polled.json())["messages"]
    assert answer["sender"] == "jeeves"
    return str(answer["text"])


async def test_readme_forms_are_answered_and_weather_off_is_said_at_start() -> None:
    bind = f"127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "JEEVES_FRONTEND_BIND": bind,
        "JEEVES_ENV": "prod",
        "JEEVES_SLACK_BOT_TOKEN": "",
        "JEEVES_WEATHER_API_KEY": "",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "jeeves",
        "dev",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with aiohttp.ClientSession() as session:
            await wait_until_ready(session, f"http://{bind}/readyz")
            base = f"http://{bind}"
            for text in ("@jeeves help", "/jeeves help", "hey jeeves, help?"):
                assert (await ask(session, base, text)).startswith("Here is what I can do:")
            assert "JEEVES_WEATHER_API_KEY" in await ask(session, base, "weather in Paris")
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 40)
    log = output.decode()
    assert process.returncode == 0, log[-3000:]
    [line] = [line for line in log.splitlines() if "dev.weather_off" in line]
    assert "JEEVES_WEATHER_API_KEY not set" in line
