from __future__ import annotations

import asyncio

import pytest
import structlog
from opentelemetry import context, trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from jeeves_shared.bus import RetryPolicy, Unroutable
from jeeves_shared.bus.memory import MemoryBus
from jeeves_shared.bus.topology import ACTIONS_EXCHANGE, QueueSpec
from jeeves_shared.messages import Action, Conversation, Reply

HELP = QueueSpec("q.help", ACTIONS_EXCHANGE, ("action.help",))
EVERYTHING = QueueSpec("q.all", ACTIONS_EXCHANGE, ("action.#",))
WHERE = Conversation(origin="devchat", team_id="T", channel_id="C", user_id="U")


def action(command: str = "help", n: int = 1) -> Action:
    return Action(id=f"ev-{n}", command=command, conversation=WHERE)


async def test_routes_by_topic_to_every_bound_queue() -> None:
    bus = MemoryBus((HELP, EVERYTHING))
    got: dict[str, list[str]] = {"help": [], "all": []}

    async def on(name: str, message: Action | Reply) -> None:
        got[name].append(message.id)

    subs = [
        await bus.consume(HELP, lambda m: on("help", m), prefetch=1),
        await bus.consume(EVERYTHING, lambda m: on("all", m), prefetch=1),
    ]
    await bus.publish(ACTIONS_EXCHANGE, "action.help", action("help", 1))
    await bus.publish(ACTIONS_EXCHANGE, "action.weather", action("weather", 2))
    await asyncio.sleep(0.05)
    for sub in subs:
        await sub.stop(1)
    assert got == {"help": ["ev-1"], "all": ["ev-1", "ev-2"]}


async def test_unroutable_publish_raises() -> None:
    bus = MemoryBus((HELP,))
    with pytest.raises(Unroutable):
        await bus.publish(ACTIONS_EXCHANGE, "action.weather", action("weather"))


async def test_failing_handler_is_retried_then_dead_lettered_and_malformed_at_once() -> None:
    bus = MemoryBus((HELP,), retry=RetryPolicy((0.01, 0.01)))
    calls = 0

    async def explode(message: Action | Reply) -> None:
        nonlocal calls
        calls += 1
        raise ValueError("boom")

    sub = await bus.consume(HELP, explode, prefetch=4)
    await bus.publish(ACTIONS_EXCHANGE, "action.help", action())
    await bus.publish_raw(HELP.name, b"{not json")
    for _ in range(100):
        if len(bus.dead_letters) == 2:
            break
        await asyncio.sleep(0.01)
    await sub.stop(1)
    reasons = sorted(letter.reason for letter in bus.dead_letters)
    assert reasons[0] == "ValueError: boom (after 3 attempts)"
    assert reasons[1].startswith("malformed:")
    assert calls == 3


async def test_a_handler_that_recovers_is_not_dead_lettered() -> None:
    bus = MemoryBus((HELP,), retry=RetryPolicy((0.01,)))
    calls: list[str] = []

    async def flaky(message: Action | Reply) -> None:
        calls.append(message.id)
        if len(calls) == 1:
            raise ConnectionError("down")

    sub = await bus.consume(HELP, flaky, prefetch=4)
    await bus.publish(ACTIONS_EXCHANGE, "action.help", action())
    for _ in range(100):
        if len(calls) == 2:
            break
        await asyncio.sleep(0.01)
    await sub.stop(1)
    assert len(calls) == 2
    assert bus.dead_letters == []


async def test_prefetch_bounds_concurrency_and_stop_drains() -> None:
    bus = MemoryBus((HELP,))
    running = 0
    peak = 0
    done: list[str] = []

    async def slow(message: Action | Reply) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1
        done.append(message.id)

    sub = await bus.consume(HELP, slow, prefetch=2)
    for n in range(6):
        await bus.publish(ACTIONS_EXCHANGE, "action.help", action(n=n))
    await asyncio.sleep(0.01)
    await sub.stop(timeout=2)
    assert peak == 2
    # The two in flight when stop() came finished; nothing was cut off half-way.
    assert len(done) == 2


async def test_a_message_keeps_its_publishers_trace_and_its_log_fields_through_a_retry() -> None:
    """As AMQP headers do: the handler runs in the publisher's trace, and every line it (and
    the retry) logs names the action, so ``jeeves dev``'s lines of one event share its ids."""
    bus = MemoryBus((HELP,), retry=RetryPolicy((0.01,)))
    publisher = SpanContext(
        trace_id=0x4BF92F3577B34DA6A3CE929D0E0E4736,
        span_id=0x00F067AA0BA902B7,
        is_remote=False,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    seen: list[int] = []

    async def fail_once(message: Action | Reply) -> None:
        seen.append(trace.get_current_span().get_span_context().trace_id)
        structlog.get_logger().info("handled")
        if len(seen) == 1:
            raise ValueError("first try")

    with structlog.testing.capture_logs(
        processors=[structlog.contextvars.merge_contextvars]
    ) as lines:
        sub = await bus.consume(HELP, fail_once, prefetch=1)
        token = context.attach(trace.set_span_in_context(NonRecordingSpan(publisher)))
        try:
            await bus.publish(ACTIONS_EXCHANGE, "action.help", action("help", 7))
        finally:
            context.detach(token)
        for _ in range(100):
            if len(seen) == 2:
                break
            await asyncio.sleep(0.01)
        await sub.stop(1)

    assert seen == [publisher.trace_id, publisher.trace_id]
    about_it = [line for line in lines if line["event"] in ("handled", "bus.handler_failed")]
    assert [line["event"] for line in about_it] == ["handled", "bus.handler_failed", "handled"]
    assert all(line.get("action_id") == "ev-7" for line in about_it)
    assert not bus.dead_letters
