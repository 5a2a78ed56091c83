"""A signed Slack event in, exactly one ``chat.postMessage`` out, through real RabbitMQ.

The front door runs under Hypercorn on a real port; the help worker and the Slack poster each
have their own AMQP connection, as they would as separate processes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from jeeves.serving import serve_app
from jeeves_frontend.app import create_app
from jeeves_frontend.settings import FrontendSettings
from jeeves_shared.amqp import AmqpBus
from jeeves_shared.topology import WORKER_QUEUES
from tests.support.fake_slack import FakeSlack
from tests.support.http import wait_until_ready
from tests.support.rabbitmq import free_port
from tests.support.slack_requests import (
    SIGNING_SECRET,
    direct_message,
    encode,
    event_callback,
    mention,
    sign,
)
from workers.runner import KINDS, serve_kind
from workers.settings import WorkerSettings

pytestmark = pytest.mark.rabbitmq


class Jeeves:
    """The running system: post events at :attr:`url`, read replies from :attr:`slack`."""

    def __init__(self, url: str, slack: FakeSlack, session: aiohttp.ClientSession) -> None:
        self.url = url
        self.slack = slack
        self.session = session

    async def send(self, payload: dict[str, Any], **headers: str) -> int:
        body = encode(payload)
        async with self.session.post(
            f"{self.url}/slack/events", data=body, headers={**sign(body), **headers}
        ) as response:
            return response.status


@pytest.fixture
async def jeeves(amqp_url: str, fake_slack: FakeSlack) -> AsyncIterator[Jeeves]:
    stop = asyncio.Event()
    bind = f"127.0.0.1:{free_port()}"
    app = create_app(
        FrontendSettings(slack_signing_secret=SIGNING_SECRET, amqp_url=amqp_url, frontend_bind=bind)
    )
    worker_settings = WorkerSettings(
        slack_bot_token="xoxb-e2e", slack_api_url=fake_slack.base_url, amqp_url=amqp_url
    )
    kinds = [KINDS["help"], KINDS["slack"]]  # the rest need the Data Service: test_commands.py
    buses = [AmqpBus(amqp_url, declare=WORKER_QUEUES.values()) for _ in kinds]
    for bus in buses:
        await bus.start()
        await bus.wait_ready(10)
    tasks = [asyncio.create_task(serve_app(app, bind, stop))]
    tasks += [
        asyncio.create_task(serve_kind(kind, worker_settings, bus, stop))
        for kind, bus in zip(kinds, buses, strict=True)
    ]
    async with aiohttp.ClientSession() as session:
        await wait_until_ready(session, f"http://{bind}/readyz")
        yield Jeeves(f"http://{bind}", fake_slack, session)
    stop.set()
    await asyncio.gather(*tasks)
    for bus in buses:
        await bus.close()


async def test_help_mention_gets_one_reply_in_the_channel(jeeves: Jeeves) -> None:
    assert await jeeves.send(event_callback(mention("help", channel="C777"), event_id="Ev1")) == 200
    [post] = await jeeves.slack.wait_for_posts(1)
    assert post["channel"] == "C777"
    assert post["text"].startswith("Here is what I can do:")
    assert "`help [command]`" in post["text"]
    assert "thread_ts" not in post


async def test_mention_in_a_thread_is_answered_in_that_thread(jeeves: Jeeves) -> None:
    event = mention("help", thread_ts="1700000000.000050")
    await jeeves.send(event_callback(event, event_id="Ev2"))
    [post] = await jeeves.slack.wait_for_posts(1)
    assert post["thread_ts"] == "1700000000.000050"


async def test_direct_message_is_answered_in_the_dm(jeeves: Jeeves) -> None:
    await jeeves.send(event_callback(direct_message("what's up", channel="D123"), event_id="Ev3"))
    [post] = await jeeves.slack.wait_for_posts(1)
    assert post["channel"] == "D123"
    assert post["text"] == "I don't know `what's`. Try `help`."


async def test_unknown_command_suggests_the_closest(jeeves: Jeeves) -> None:
    await jeeves.send(event_callback(mention("hepl"), event_id="Ev4"))
    [post] = await jeeves.slack.wait_for_posts(1)
    assert post["text"] == "I don't know `hepl`. Did you mean `help`? Try `help`."


async def test_slack_retries_and_the_bots_own_message_produce_no_extra_reply(
    jeeves: Jeeves,
) -> None:
    payload = event_callback(mention("help"), event_id="Ev5")
    assert await jeeves.send(payload) == 200
    assert await jeeves.send(payload, **{"X-Slack-Retry-Num": "1"}) == 200
    own = event_callback({**direct_message("help"), "bot_id": "B0BOT"}, event_id="Ev6")
    assert await jeeves.send(own) == 200
    # A later, distinct event is the marker that everything before it has been processed.
    await jeeves.send(event_callback(mention("help", channel="CLAST"), event_id="Ev7"))
    posts = await jeeves.slack.wait_for_posts(2)
    await asyncio.sleep(0.3)
    assert [p["channel"] for p in jeeves.slack.posts] == ["C0001", "CLAST"]
    assert len(posts) == 2


async def test_bad_signature_is_refused_and_nothing_is_posted(jeeves: Jeeves) -> None:
    body = encode(event_callback(mention("help"), event_id="Ev8"))
    headers = {**sign(body), "X-Slack-Signature": "v0=" + "0" * 64}
    async with jeeves.session.post(
        f"{jeeves.url}/slack/events", data=body, headers=headers
    ) as response:
        assert response.status == 401
    await jeeves.send(event_callback(mention("help", channel="CMARK"), event_id="Ev9"))
    posts = await jeeves.slack.wait_for_posts(1)
    assert [p["channel"] for p in posts] == ["CMARK"]
