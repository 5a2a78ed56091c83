"""Listing and replaying the dead-letter queue against a real broker."""

from __future__ import annotations

import aio_pika
import pytest

from jeeves_shared.bus import PermanentFailure, RetryPolicy
from jeeves_shared.bus.dead_letters import list_dead_letters, replay_dead_letters
from jeeves_shared.bus.topology import ACTIONS_EXCHANGE, DEAD_LETTER_QUEUE
from jeeves_shared.messages import Action, Reply
from tests.support.amqp_bus import HELP, action, started, wait_for_count, wait_until
from tests.support.rabbitmq import message_count

pytestmark = pytest.mark.rabbitmq


async def test_list_shows_why_and_takes_nothing_then_replay_sends_back_only_what_was_asked(
    amqp_url: str,
) -> None:
    bus = await started(amqp_url, HELP, retry=RetryPolicy((0.1,)))
    broken = True
    handled: list[str] = []

    async def handler(message: Action | Reply) -> None:
        if broken:
            raise PermanentFailure("slack: not_in_channel")
        handled.append(message.id)

    sub = await bus.consume(HELP, handler, prefetch=4)
    for n in (1, 2):
        await bus.publish(ACTIONS_EXCHANGE, "action.help", action(n))
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.default_exchange.publish(
            aio_pika.Message(b"not json", message_id="junk"), routing_key=HELP.name
        )
    await wait_for_count(amqp_url, DEAD_LETTER_QUEUE, 3)

    letters, total = await list_dead_letters(amqp_url)
    again, _ = await list_dead_letters(amqp_url, limit=2)
    assert total == 3
    assert [letter.message_id for letter in again] == [letter.message_id for letter in letters][:2]
    by_id = {letter.message_id: letter for letter in letters}
    assert set(by_id) == {"ev-1", "ev-2", "junk"}
    assert by_id["ev-1"].queue == HELP.name
    assert by_id["ev-1"].reason == "PermanentFailure: slack: not_in_channel"
    assert by_id["ev-1"].type == "action.v1"
    assert by_id["ev-1"].summary.startswith("help")
    assert by_id["junk"].reason.startswith("malformed: ")
    assert by_id["junk"].summary == "8 bytes, not JSON"
    assert await message_count(amqp_url, DEAD_LETTER_QUEUE) == 3

    broken = False
    replayed, refused = await replay_dead_letters(amqp_url, ids=["ev-2"])
    assert ([r.message_id for r in replayed], refused) == (["ev-2"], [])
    await wait_until(lambda: handled == ["ev-2"])
    await wait_for_count(amqp_url, DEAD_LETTER_QUEUE, 2)

    # Replaying everything: the good one is handled; the junk fails again and is back.
    replayed, _ = await replay_dead_letters(amqp_url)
    assert sorted(r.message_id for r in replayed) == ["ev-1", "junk"]
    await wait_until(lambda: sorted(handled) == ["ev-1", "ev-2"])
    await wait_for_count(amqp_url, DEAD_LETTER_QUEUE, 1)
    letters, _ = await list_dead_letters(amqp_url)
    assert [(letter.message_id, letter.attempts) for letter in letters] == [("junk", 1)]
    await sub.stop(5)
    await bus.close()


async def test_a_letter_whose_queue_is_unknown_is_refused_and_kept(amqp_url: str) -> None:
    bus = await started(amqp_url, HELP)
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.default_exchange.publish(
            aio_pika.Message(b"{}", message_id="orphan"), routing_key=DEAD_LETTER_QUEUE
        )
    await wait_for_count(amqp_url, DEAD_LETTER_QUEUE, 1)
    replayed, refused = await replay_dead_letters(amqp_url)
    assert (replayed, [r.message_id for r in refused]) == ([], ["orphan"])
    await wait_for_count(amqp_url, DEAD_LETTER_QUEUE, 1)
    await bus.close()
