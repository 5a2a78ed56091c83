"""A signed Slack event in, exactly one ``chat.postMessage`` out, through real RabbitMQ.

The front door and the Data Service run under Hypercorn on real ports; every worker has its own
AMQP connection, as it would as a separate process (see :mod:`tests.support.stack`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import (
    direct_message,
    encode,
    event_callback,
    mention,
    post_event,
    sign,
)
from tests.support.stack import running_stack

pytestmark = pytest.mark.rabbitmq


class Jeeves:
    """The running system: post events at :attr:`url`, read replies from :attr:`slack`."""

    def __init__(self, url: str, slack: FakeSlack, session: aiohttp.ClientSession) -> None:
        self.url = url
        self.slack = slack
        self.session = session

    async def send(self, payload: dict[str, Any], **headers: str) -> int:
        return await post_event(self.session, self.url, payload, **headers)


@pytest.fixture
async def jeeves(amqp_url: str, tmp_path: Path) -> AsyncIterator[Jeeves]:
    async with running_stack(amqp_url, tmp_path) as stack:
        yield Jeeves(stack.url, stack.slack, stack.session)


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
