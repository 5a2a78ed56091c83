"""A long answer through real RabbitMQ: its parts reach Slack in order, and what is said about
the answer is said once (issue 10 §3).

The answer is published as the workers publish every answer (``Deps.answer``), the poster
consumes the real ``jeeves.slack-poster`` queue with its production prefetch, claims go to the
real Data Service, and Slack is the local fake.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from jeeves_shared.bus import RetryPolicy
from jeeves_shared.bus.amqp import AmqpBus
from jeeves_shared.bus.dead_letters import list_dead_letters, replay_dead_letters
from jeeves_shared.bus.topology import DEAD_LETTER_QUEUE, WORKER_QUEUES
from jeeves_shared.installations import BotTokens
from jeeves_shared.messages import Action, Conversation, Reply, reply_id
from tests.support.dataservice import serving_dataservice
from tests.support.fake_slack import FakeSlack, Scripted
from tests.support.rabbitmq import message_count
from workers.deps import Deps
from workers.mrkdwn import MAX_MESSAGE_LENGTH
from workers.settings import WorkerSettings
from workers.slack import poster
from workers.slack.client import make_slack_client
from workers.slack.poster import PosterDeps
from workers.slack.reply_claims import ReplyClaims

pytestmark = pytest.mark.rabbitmq

SLACK = WORKER_QUEUES["slack"]
WHERE = Conversation(origin="slack", team_id="T", channel_id="C42", user_id="U42")
#: Two Slack messages' worth: 60 lines of 100 characters.
LONG = "\n".join(f"{n:02d} " + "x" * 97 for n in range(60))


@dataclass
class Poster:
    """The poster consuming its queue; answers are published with :attr:`workers`."""

    bus: AmqpBus
    workers: Deps
    slack: FakeSlack
    amqp_url: str

    async def answer(self, event: str, text: str = LONG) -> Action:
        action = Action(id=event, command="config", conversation=WHERE)
        await self.workers.answer(action, text)
        return action


@pytest.fixture
async def running(amqp_url: str, tmp_path: Path, fake_slack: FakeSlack) -> AsyncIterator[Poster]:
    bus = AmqpBus(amqp_url, declare=WORKER_QUEUES.values(), retry=RetryPolicy((0.2,)))
    await bus.start()
    await bus.wait_ready(10)
    async with serving_dataservice(tmp_path) as data, aiohttp.ClientSession() as session:
        client = data.client(session, *poster.POSTER_SCOPES)
        deps = PosterDeps(
            bus=bus,
            http=session,
            slack=make_slack_client(
                "xoxb-test",
                base_url=fake_slack.base_url,
                session=session,
                max_retries=2,
                resend=False,
            ),
            data=client,
            tokens=BotTokens.single("xoxb-test"),  # one-workspace mode
            claims=ReplyClaims(client, lease_seconds=poster.LEASE_SECONDS),
            response_url_prefix=fake_slack.response_url(""),
        )

        async def handle(message: Action | Reply) -> None:
            await poster.handle(message, deps)

        prefetch = poster.prefetch(WorkerSettings())
        subscription = await bus.consume(SLACK, handle, prefetch=prefetch)
        try:
            yield Poster(bus, Deps(bus=bus), fake_slack, amqp_url)
        finally:
            await subscription.stop(5)
            await bus.close()


def in_channel(slack: FakeSlack) -> list[str]:
    """The texts posted in the answer's channel, in the order Slack accepted them."""
    return [post["text"] for post in slack.posts if post["channel"] == WHERE.channel_id]


async def settled(amqp_url: str, seconds: float = 1.0) -> None:
    """Wait until the poster's queue is empty, then a little more for stragglers."""
    deadline = time.monotonic() + 10
    while await message_count(amqp_url, SLACK.name):
        assert time.monotonic() < deadline, "the poster's queue did not drain"
        await asyncio.sleep(0.05)
    await asyncio.sleep(seconds)


async def wait_until(predicate: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_parts_arrive_in_order_when_slack_delays_the_first(running: Poster) -> None:
    # Slack holds back part 1 with a 429 (Retry-After: 1 s); part 2 must still come after it.
    running.slack.script.append(
        Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
    )
    action = await running.answer("Ev-long")
    parts = await running.slack.wait_for_posts(2)
    assert "\n".join(in_channel(running.slack)) == LONG
    assert all(len(text) <= MAX_MESSAGE_LENGTH for text in in_channel(running.slack))
    assert [p["metadata"]["event_payload"]["reply_id"] for p in parts] == [
        reply_id(action.id, 0),
        reply_id(action.id, 1),
    ]
    refused_first = running.slack.calls[0]
    assert refused_first.method == "chat.postMessage"
    assert refused_first.body["text"] == parts[0]["text"]

    await running.answer("Ev-long")  # the same answer again: a redelivery
    await settled(running.amqp_url)
    assert len(running.slack.posts) == 2


async def test_a_channel_that_refuses_gets_one_invite_hint_per_answer(running: Poster) -> None:
    running.slack.script.append(Scripted(200, {"ok": False, "error": "not_in_channel"}))
    await running.answer("Ev-refused")
    await wait_until(lambda: len(running.slack.posts) == 1)
    await settled(running.amqp_url)
    [hint] = running.slack.posts
    assert hint["channel"] == WHERE.user_id
    assert "/invite @jeeves" in hint["text"]
    assert in_channel(running.slack) == []  # part 2 was not posted before part 1

    letters, total = await list_dead_letters(running.amqp_url)
    assert total == 1  # one answer, one dead letter, one reason
    assert letters[0].reason == "PermanentFailure: slack: not_in_channel (part 1 of 2)"
    assert letters[0].type == "reply.v2"
    assert letters[0].summary.startswith("00 xxx")

    # Replayed while the bot is still not a member: refused again, and no second hint.
    running.slack.script.append(Scripted(200, {"ok": False, "error": "not_in_channel"}))
    await replay_dead_letters(running.amqp_url)
    await wait_until(lambda: sum(c.method == "chat.postMessage" for c in running.slack.calls) == 3)
    await settled(running.amqp_url)
    assert len(running.slack.posts) == 1
    assert await message_count(running.amqp_url, DEAD_LETTER_QUEUE) == 1

    # Invited at last: the replay posts both parts, in order.
    await replay_dead_letters(running.amqp_url)
    await running.slack.wait_for_posts(3)
    await settled(running.amqp_url)
    assert "\n".join(in_channel(running.slack)) == LONG
    assert len(running.slack.posts) == 3
