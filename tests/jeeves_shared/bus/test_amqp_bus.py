"""The RabbitMQ bus against a real broker (one vhost per test)."""

from __future__ import annotations

import asyncio
import time

import aio_pika
import pytest
from structlog.testing import capture_logs

from jeeves_shared.bus import (
    BusUnavailable,
    PermanentFailure,
    RetryLater,
    RetryPolicy,
    Unroutable,
    amqp_consumer,
)
from jeeves_shared.bus.amqp import AmqpBus
from jeeves_shared.bus.topology import ACTIONS_EXCHANGE, DEAD_LETTER_QUEUE, delay_queue
from jeeves_shared.messages import Action, Reply
from tests.support.amqp_bus import HELP, action, started, wait_for_count, wait_until
from tests.support.rabbitmq import RabbitNode, free_port, message_count

pytestmark = pytest.mark.rabbitmq


async def test_published_message_waits_in_its_durable_queue(
    amqp_url: str, rabbit: RabbitNode
) -> None:
    bus = await started(amqp_url, HELP)
    await bus.publish(ACTIONS_EXCHANGE, "action.help", action())
    await bus.close()
    queue = rabbit.queue(amqp_url, HELP.name)
    assert queue["durable"] is True
    assert queue["arguments"]["x-queue-type"] == "quorum"  # type: ignore[index]
    await wait_for_count(amqp_url, HELP.name, 1)


async def test_consumer_gets_the_message_and_acks_after_the_work(
    amqp_url: str, rabbit: RabbitNode
) -> None:
    bus = await started(amqp_url, HELP)
    seen: list[Action | Reply] = []
    sub = await bus.consume(HELP, lambda m: _append(seen, m), prefetch=8)
    await bus.publish(ACTIONS_EXCHANGE, "action.unknown", action(1, "unknown"))
    await wait_until(lambda: len(seen) == 1)
    await sub.stop(5)
    await bus.close()
    assert (seen[0].id, seen[0].command) == ("ev-1", "unknown")
    await wait_for_count(amqp_url, HELP.name, 0)


async def _append(seen: list[Action | Reply], message: Action | Reply) -> None:
    seen.append(message)


async def test_unroutable_publish_raises(amqp_url: str) -> None:
    bus = await started(amqp_url, HELP)
    with pytest.raises(Unroutable):
        await bus.publish(ACTIONS_EXCHANGE, "action.nobody-listens", action())
    await bus.close()


async def test_a_failing_handler_is_retried_after_each_delay_then_dead_lettered(
    amqp_url: str, rabbit: RabbitNode
) -> None:
    bus = await started(amqp_url, HELP, retry=RetryPolicy((0.2, 0.4)))
    attempts: dict[str, list[float]] = {}

    async def picky(message: Action | Reply) -> None:
        attempts.setdefault(message.id, []).append(time.monotonic())
        if message.id == "ev-2":
            raise RuntimeError("cannot handle this one")

    sub = await bus.consume(HELP, picky, prefetch=8)
    for n in (1, 2, 3):
        await bus.publish(ACTIONS_EXCHANGE, "action.help", action(n))
    await wait_for_count(amqp_url, DEAD_LETTER_QUEUE, 1)
    await sub.stop(5)
    dead = await dead_letters(amqp_url)
    await bus.close()

    assert {k: len(v) for k, v in attempts.items()} == {"ev-1": 1, "ev-2": 3, "ev-3": 1}
    first, second, third = attempts["ev-2"]
    # Each retry waited at least its delay (a lower bound: the broker may take longer).
    assert second - first >= 0.2
    assert third - second >= 0.4
    [(headers, body)] = dead
    assert headers["x-jeeves-queue"] == HELP.name
    assert headers["x-jeeves-attempts"] == 3
    assert headers["x-jeeves-reason"] == "RuntimeError: cannot handle this one (after 3 attempts)"
    assert b'"ev-2"' in body
    for name in (HELP.name, delay_queue(0.2), delay_queue(0.4)):
        assert await message_count(amqp_url, name) == 0


async def test_a_handler_that_recovers_is_answered_once_and_nothing_is_dead(
    amqp_url: str,
) -> None:
    bus = await started(amqp_url, HELP, retry=RetryPolicy((0.1, 0.1, 0.1)))
    calls: list[str] = []

    async def flaky(message: Action | Reply) -> None:
        calls.append(message.id)
        if len(calls) < 3:
            raise ConnectionError("dependency down")

    sub = await bus.consume(HELP, flaky, prefetch=1)
    await bus.publish(ACTIONS_EXCHANGE, "action.help", action(7))
    await wait_until(lambda: len(calls) == 3)
    await sub.stop(5)
    assert await message_count(amqp_url, DEAD_LETTER_QUEUE) == 0
    assert await message_count(amqp_url, HELP.name) == 0
    await bus.close()
    assert calls == ["ev-7"] * 3


async def test_malformed_bytes_and_permanent_failures_are_dead_lettered_at_once(
    amqp_url: str,
) -> None:
    bus = await started(amqp_url, HELP, retry=RetryPolicy((5,)))
    handled: list[str] = []

    async def handler(message: Action | Reply) -> None:
        if message.id == "ev-2":
            raise PermanentFailure("slack: channel_not_found")
        handled.append(message.id)

    sub = await bus.consume(HELP, handler, prefetch=8)
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    await bus.publish(ACTIONS_EXCHANGE, "action.help", action(1))
    await channel.default_exchange.publish(aio_pika.Message(b"\x00poison"), routing_key=HELP.name)
    await bus.publish(ACTIONS_EXCHANGE, "action.help", action(2))
    await bus.publish(ACTIONS_EXCHANGE, "action.help", action(3))
    await wait_for_count(amqp_url, DEAD_LETTER_QUEUE, 2)
    await connection.close()
    await sub.stop(5)
    dead = await dead_letters(amqp_url)
    await bus.close()

    assert sorted(handled) == ["ev-1", "ev-3"]
    reasons = sorted(str(headers["x-jeeves-reason"]) for headers, _ in dead)
    assert reasons[0].startswith("PermanentFailure: slack: channel_not_found")
    assert reasons[1].startswith("malformed: ")
    assert {headers["x-jeeves-attempts"] for headers, _ in dead} == {1}


async def dead_letters(url: str) -> list[tuple[dict[str, object], bytes]]:
    """Take every message out of the dead-letter queue."""
    found: list[tuple[dict[str, object], bytes]] = []
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(DEAD_LETTER_QUEUE)
        while (message := await queue.get(fail=False, timeout=5)) is not None:
            found.append((dict(message.headers), message.body))
            await message.ack()
    return found


async def test_no_broker_means_unavailable_not_a_hang() -> None:
    bus = AmqpBus(f"amqp://guest:guest@127.0.0.1:{free_port()}/", publish_timeout=1)
    await bus.start()
    assert not bus.is_ready()
    with pytest.raises(BusUnavailable):
        await bus.wait_ready(timeout=0.5)
    with pytest.raises(BusUnavailable):
        await bus.publish(ACTIONS_EXCHANGE, "action.help", action())
    await bus.close()


async def test_stop_drains_in_flight_work(amqp_url: str, rabbit: RabbitNode) -> None:
    bus = await started(amqp_url, HELP)
    started_work = asyncio.Event()
    finished: list[str] = []

    async def slow(message: Action | Reply) -> None:
        started_work.set()
        await asyncio.sleep(0.5)
        finished.append(message.id)

    sub = await bus.consume(HELP, slow, prefetch=1)
    await bus.publish(ACTIONS_EXCHANGE, "action.help", action(1))
    await bus.publish(ACTIONS_EXCHANGE, "action.help", action(2))
    await asyncio.wait_for(started_work.wait(), 10)
    await sub.stop(timeout=5)
    await bus.close()
    assert finished == ["ev-1"]
    # The second message was never taken, or was returned: it is still in the queue.
    await wait_for_count(amqp_url, HELP.name, 1)


async def test_a_handler_outliving_the_drain_is_cancelled_and_its_message_kept(
    amqp_url: str,
) -> None:
    bus = await started(amqp_url, HELP)
    began, cancelled = asyncio.Event(), asyncio.Event()

    async def stuck(message: Action | Reply) -> None:
        began.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    sub = await bus.consume(HELP, stuck, prefetch=1)
    await bus.publish(ACTIONS_EXCHANGE, "action.help", action(1))
    await asyncio.wait_for(began.wait(), 10)
    await sub.stop(timeout=0.2)
    assert cancelled.is_set()
    await bus.close()
    await wait_for_count(amqp_url, HELP.name, 1)  # back in its queue, not acknowledged


async def test_retry_later_is_an_attempt_without_an_error(amqp_url: str) -> None:
    bus = await started(amqp_url, HELP, retry=RetryPolicy((0.1,)))
    calls: list[str] = []

    async def busy_once(message: Action | Reply) -> None:
        calls.append(message.id)
        if len(calls) == 1:
            raise RetryLater("someone else is on it")

    sub = await bus.consume(HELP, busy_once, prefetch=1)
    with capture_logs() as logs:
        await bus.publish(ACTIONS_EXCHANGE, "action.help", action(8))
        await wait_until(lambda: len(calls) == 2)
    await sub.stop(5)
    await bus.close()
    [retry] = [entry for entry in logs if entry["event"] == "bus.retry_later"]
    assert (retry["log_level"], retry["reason"]) == ("info", "RetryLater: someone else is on it")
    assert not any(entry["event"] == "bus.handler_failed" for entry in logs)


async def test_a_message_whose_retry_cannot_be_published_does_not_loop_forever(
    amqp_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(amqp_consumer, "REDELIVERY_LIMIT", 3)
    monkeypatch.setattr(amqp_consumer, "FORWARD_PAUSE", 0.01)
    bus = await started(amqp_url, HELP, retry=RetryPolicy((0.1,)))
    calls: list[str] = []

    async def failing(message: Action | Reply) -> None:
        calls.append(message.id)
        raise RuntimeError("broken")

    sub = await bus.consume(HELP, failing, prefetch=1)
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(delay_queue(0.1))  # retry copies are now unroutable
    await bus.publish(ACTIONS_EXCHANGE, "action.help", action(9))
    await wait_for_count(amqp_url, DEAD_LETTER_QUEUE, 1)
    await sub.stop(5)
    await bus.close()
    assert calls == ["ev-9"] * 3
    [(headers, _)] = await dead_letters(amqp_url)
    assert headers["x-death"][0]["reason"] == "rejected"  # type: ignore[index]
