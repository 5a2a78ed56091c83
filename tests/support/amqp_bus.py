"""The AMQP bus as its tests use it: a started :class:`AmqpBus`, actions to publish, and waits."""

from __future__ import annotations

import asyncio
import time

import aio_pika

from jeeves_shared.bus import RetryPolicy
from jeeves_shared.bus.amqp import AmqpBus
from jeeves_shared.bus.topology import ACTIONS_EXCHANGE, QueueSpec
from jeeves_shared.messages import Action, Conversation, decode
from tests.support.rabbitmq import message_count

#: The help worker's queue, as the tests declare it.
HELP = QueueSpec("jeeves.help", ACTIONS_EXCHANGE, ("action.help", "action.unknown"))
WHERE = Conversation(origin="slack", team_id="T", channel_id="C", user_id="U")


def action(n: int = 1, command: str = "help") -> Action:
    """Action number ``n`` (id ``ev-<n>``) for ``command``."""
    return Action(id=f"ev-{n}", command=command, conversation=WHERE)


async def started(url: str, *queues: QueueSpec, retry: RetryPolicy | None = None) -> AmqpBus:
    """A bus on ``url`` that declared ``queues``, connected and ready."""
    bus = AmqpBus(url, declare=queues, retry=retry, publish_timeout=2)
    await bus.start()
    await bus.wait_ready(timeout=10)
    return bus


async def wait_until(predicate: object, timeout: float = 10) -> None:
    """Poll ``predicate()`` until it is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def wait_for_count(url: str, queue: str, expected: int, timeout: float = 10) -> None:
    """Poll until ``queue`` holds ``expected`` messages; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while (count := await message_count(url, queue)) != expected:
        if time.monotonic() > deadline:
            raise AssertionError(f"{queue} has {count} messages, expected {expected}")
        await asyncio.sleep(0.05)


async def drain(url: str, queue: str) -> list[Action]:
    """Take every message of ``queue`` (it holds only actions), oldest first."""
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        taken = []
        while (message := await declared.get(no_ack=True, fail=False)) is not None:
            decoded = decode(message.body)
            assert isinstance(decoded, Action)
            taken.append(decoded)
        return taken
    finally:
        await connection.close()
