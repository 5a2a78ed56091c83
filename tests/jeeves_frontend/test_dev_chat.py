"""The dev chat's endpoints through the ASGI app: a resent message is acted on once, too long a
message is said to be too long, and every answer names the conversation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client
from werkzeug.datastructures import Headers

from jeeves_frontend.app import create_app
from jeeves_frontend.devchat import MAX_TEXT, ChatLog
from jeeves_frontend.settings import FrontendSettings
from jeeves_shared.bus.memory import MemoryBus
from jeeves_shared.bus.topology import WORKER_QUEUES
from jeeves_shared.messages import Action, Reply

SETTINGS = FrontendSettings(env="dev")
MESSAGES = "/dev/chat/messages"


class Published:
    """Every action the front door publishes, as the workers' queues receive them."""

    def __init__(self) -> None:
        self.actions: list[Action] = []

    async def handle(self, message: Action | Reply) -> None:
        assert isinstance(message, Action)
        self.actions.append(message)

    async def texts(self) -> list[str]:
        await asyncio.sleep(0.05)  # the in-memory bus delivers on the next turns of the loop
        return [action.text for action in self.actions]


@pytest.fixture
def bus() -> MemoryBus:
    return MemoryBus(tuple(WORKER_QUEUES.values()))


@pytest.fixture
async def published(bus: MemoryBus) -> AsyncIterator[Published]:
    seen = Published()
    subscriptions = [await bus.consume(q, seen.handle, prefetch=8) for q in WORKER_QUEUES.values()]
    yield seen
    for subscription in subscriptions:
        await subscription.stop(timeout=1)


@pytest.fixture
def chat() -> ChatLog:
    return ChatLog(remembered=2)


@pytest.fixture
async def client(bus: MemoryBus, chat: ChatLog) -> AsyncIterator[Client]:
    app: Quart = create_app(SETTINGS, bus=bus, chat=chat)
    async with app.test_app():
        yield app.test_client()


async def post(
    client: Client, text: str, key: str | None = None
) -> tuple[int, dict[str, Any], Headers]:
    """Post ``text`` (with ``key`` as its ``Idempotency-Key``): status, JSON body, headers."""
    headers = {"Idempotency-Key": key} if key is not None else {}
    response = await client.post(MESSAGES, json={"text": text}, headers=headers)
    return response.status_code, await response.get_json(), response.headers


async def test_a_resent_message_gets_the_first_answer_and_is_published_once(
    client: Client, chat: ChatLog, published: Published
) -> None:
    first = await post(client, "remind me in 10 minutes to stretch", "k1")
    again = await post(client, "remind me in 10 minutes to stretch", "k1")

    assert first[0] == again[0] == 202
    assert again[1] == first[1]
    assert again[2]["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first[2]
    assert await published.texts() == ["remind me in 10 minutes to stretch"]
    assert [m.text for m in chat.after(0)] == ["remind me in 10 minutes to stretch"]


async def test_a_resend_racing_its_original_is_published_once(
    client: Client, published: Published
) -> None:
    answers = await asyncio.gather(*(post(client, "config set q3 first", "k2") for _ in range(5)))

    assert {status for status, _, _ in answers} == {202}
    assert len({body["message"]["id"] for _, body, _ in answers}) == 1
    assert await published.texts() == ["config set q3 first"]


async def test_without_a_key_or_with_a_new_one_each_message_is_its_own(
    client: Client, published: Published
) -> None:
    await post(client, "help")
    await post(client, "help")
    await post(client, "help", "k3")
    await post(client, "help", "k4")

    assert await published.texts() == ["help"] * 4


async def test_a_key_sent_again_with_other_text_is_refused(
    client: Client, published: Published
) -> None:
    await post(client, "config set q3 first", "k5")
    status, body, _ = await post(client, "config set q4 second", "k5")

    assert (status, body["error"]) == (422, "idempotency_key_reused")
    assert await published.texts() == ["config set q3 first"]


@pytest.mark.parametrize("key", ["", "a b", "é", "k" * 101, "k\u0000"])
async def test_a_malformed_key_is_refused(client: Client, key: str) -> None:
    response = await client.post(MESSAGES, json={"text": "help"}, headers={"Idempotency-Key": key})

    assert response.status_code == 422
    assert (await response.get_json())["error"] == "invalid_message"


async def test_the_keys_remembered_are_bounded(client: Client, published: Published) -> None:
    for key in ("a", "b", "c"):  # the chat log remembers 2
        await post(client, f"help {key}", key)
    await post(client, "help a", "a")  # forgotten: sent as new
    await post(client, "help c", "c")  # remembered

    assert await published.texts() == ["help a", "help b", "help c", "help a"]


async def test_a_send_that_failed_is_not_remembered(chat: ChatLog) -> None:
    bus = MemoryBus()  # no queue yet: publishing fails
    app: Quart = create_app(SETTINGS, bus=bus, chat=chat)
    async with app.test_app():
        client = app.test_client()
        failed = await post(client, "help", "k6")
        for spec in WORKER_QUEUES.values():
            bus.declare(spec)
        seen = Published()
        subscription = await bus.consume(WORKER_QUEUES["help"], seen.handle, prefetch=1)
        resent = await post(client, "help", "k6")
        await subscription.stop(timeout=1)

    assert (failed[0], failed[1]["error"]) == (503, "temporarily_unavailable")
    assert resent[0] == 202
    assert "Idempotent-Replayed" not in resent[2]
    assert await seen.texts() == ["help"]


async def test_too_long_a_message_is_told_with_the_limit(
    client: Client, published: Published
) -> None:
    status, body, _ = await post(client, "x" * (MAX_TEXT + 1))
    fits = await post(client, "config set motto " + "x" * (MAX_TEXT - 17))

    assert status == 422
    assert body["error"] == "message_too_long"
    assert body["max_length"] == MAX_TEXT == 4000
    assert fits[0] == 202
    assert len(await published.texts()) == 1


async def test_every_answer_names_the_conversation_and_a_new_log_has_a_new_one(
    client: Client, chat: ChatLog
) -> None:
    _, said, _ = await post(client, "help")
    polled = await (await client.get(f"{MESSAGES}?after=0")).get_json()

    assert said["conversation"] == polled["conversation"] == chat.conversation
    assert [m["text"] for m in polled["messages"]] == ["help"]
    assert ChatLog().conversation != chat.conversation


async def test_the_page_limits_its_input_as_the_endpoint_does(client: Client) -> None:
    page = await (await client.get("/")).get_data(as_text=True)

    assert f'maxlength="{MAX_TEXT}"' in page
