"""``jeeves dev``'s status page: it renders under the chat page's CSP, and its numbers follow
what happens (a message answered by the real ``help`` worker, a queue nobody consumes, a poison
message dead-lettered), through the ASGI app and the in-memory bus."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from quart.typing import TestClientProtocol as Client

from jeeves_frontend.app import create_app
from jeeves_frontend.devchat import ChatLog
from jeeves_frontend.pages import PAGE_POLICY
from jeeves_frontend.settings import FrontendSettings
from jeeves_shared.bus.memory import MemoryBus
from jeeves_shared.bus.topology import DEVCHAT_QUEUE, WORKER_QUEUES
from tokendealer.clients import DEV_CLIENT_ID, DEV_CLIENT_SECRET
from workers.runner import KINDS, serve_kind
from workers.settings import WorkerSettings

STATUS = "/dev/status.json"


@pytest.fixture
async def client() -> AsyncIterator[tuple[Client, ChatLog]]:
    """The front door of ``jeeves dev`` with the real ``help`` worker (and nothing else)."""
    bus = MemoryBus((*WORKER_QUEUES.values(), DEVCHAT_QUEUE))
    chat = ChatLog()
    stop = asyncio.Event()
    settings = WorkerSettings(
        env="dev", worker_client_id=DEV_CLIENT_ID, worker_client_secret=DEV_CLIENT_SECRET
    )
    worker = asyncio.create_task(serve_kind(KINDS["help"], settings, bus, stop))
    replies = await bus.consume(DEVCHAT_QUEUE, chat.deliver, prefetch=8)
    app = create_app(FrontendSettings(env="dev"), bus=bus, chat=chat)
    async with app.test_app():
        yield app.test_client(), chat
    stop.set()
    await worker
    await replies.stop(timeout=1)


async def status(client: Client) -> dict[str, Any]:
    response = await client.get(STATUS)
    assert response.status_code == 200
    body: dict[str, Any] = await response.get_json()
    return body


async def test_the_page_renders_with_no_inline_script_or_style(
    client: tuple[Client, ChatLog],
) -> None:
    response = await client[0].get("/dev/status")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == PAGE_POLICY
    html = await response.get_data(as_text=True)
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all('src="/static/' in tag for tag in scripts)
    assert "<style" not in html and " style=" not in html
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert (await client[0].get(asset)).status_code == 200, asset


async def test_the_numbers_follow_what_happens(client: tuple[Client, ChatLog]) -> None:
    http, chat = client
    before = await status(http)
    assert (await http.post("/dev/chat/messages", json={"text": "help"})).status_code == 202
    assert (await http.post("/dev/chat/messages", json={"text": "weather"})).status_code == 202
    await chat.wait_after(1, 5)  # the help worker's answer reached the chat
    after = await status(http)

    assert after["published"]["actions"] - before["published"]["actions"] == 2
    assert after["published"]["replies"] - before["published"]["replies"] == 1
    acked = [s["handled"].get("help", {}).get("acked", 0) for s in (before, after)]
    assert acked[1] - acked[0] == 1
    # Nobody consumes the weather queue in this test: its message waits there.
    assert after["queues"]["jeeves.weather"] == before["queues"]["jeeves.weather"] + 1
    assert after["queues"]["jeeves.help"] == 0
    assert after["failures"] == []


async def test_a_dead_lettered_message_is_among_the_last_errors(
    client: tuple[Client, ChatLog],
) -> None:
    http, _ = client
    bus = http.app.extensions["jeeves"].bus  # type: ignore[attr-defined]
    await bus.publish_raw("jeeves.help", b"not a message")
    for _ in range(100):
        failures = (await status(http))["failures"]
        if failures:
            break
        await asyncio.sleep(0.01)
    [failure] = failures
    assert failure["queue"] == "jeeves.help"
    assert failure["outcome"] == "dead_lettered"
    assert failure["reason"].startswith("malformed")
