"""Reading and replaying the dead-letter queue (``jeeves dlq list`` and ``jeeves dlq replay``).

Messages are read with ``basic.get`` and left unacknowledged; closing the channel puts every
one that was not replayed back in the queue, so listing never loses or consumes anything. A
replayed message is published (confirmed, ``mandatory``) back to the queue it failed in, with a
fresh attempt count, and only then acknowledged, so a replay interrupted half-way loses nothing
either: at worst a message is both replayed and still listed, and the consumers' idempotency
makes the second replay harmless.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import aio_pika
import aiormq
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from jeeves_shared.bus import Unroutable
from jeeves_shared.bus.amqp_consumer import (
    ATTEMPTS_HEADER,
    ERROR_HEADER,
    FAILED_AT_HEADER,
    QUEUE_HEADER,
    REASON_HEADER,
)
from jeeves_shared.bus.topology import DEAD_LETTER_QUEUE, REQUEUE_EXCHANGE, requeue_key
from jeeves_shared.observability.tracing import continuing

#: Headers a replayed copy does not keep: the attempt count starts again.
_FAILURE_HEADERS = frozenset(
    {ATTEMPTS_HEADER, ERROR_HEADER, REASON_HEADER, QUEUE_HEADER, FAILED_AT_HEADER, "x-death"}
)


@dataclass(frozen=True)
class DeadLetter:
    """One message in the dead-letter queue, as an operator needs to see it."""

    message_id: str
    #: The work queue it failed in ("" if it carries no trace of one).
    queue: str
    reason: str
    attempts: int
    failed_at: str
    #: ``action.v1``, ``reply.v2``; empty for bytes that were never a message.
    type: str
    #: What the message was about: the command and text of an action, the text of a reply.
    summary: str

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "id": self.message_id,
            "queue": self.queue,
            "reason": self.reason,
            "attempts": self.attempts,
            "failed_at": self.failed_at,
            "type": self.type,
            "summary": self.summary,
        }


async def list_dead_letters(url: str, *, limit: int = 100) -> tuple[list[DeadLetter], int]:
    """Up to ``limit`` dead letters, oldest first, and how many the queue holds in all."""
    connection = await aio_pika.connect(url, timeout=10)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(DEAD_LETTER_QUEUE, passive=True)
        total = int(queue.declaration_result.message_count or 0)
        found: list[DeadLetter] = []
        for _ in range(min(limit, total)):
            message = await queue.get(fail=False, timeout=10)
            if message is None:
                break
            found.append(describe(message))
        # Closing the connection returns every message we took (none was acknowledged).
    return found, total


async def replay_dead_letters(
    url: str, *, ids: Collection[str] = ()
) -> tuple[list[DeadLetter], list[DeadLetter]]:
    """Send dead letters (those in ``ids``, or all) back to their queues.

    Returns what was replayed and what could not be (no known queue, or no queue bound any
    more); both stay visible in the logs of the caller.
    """
    wanted = set(ids)
    replayed: list[DeadLetter] = []
    refused: list[DeadLetter] = []
    connection = await aio_pika.connect(url, timeout=10)
    async with connection:
        reader = await connection.channel()
        writer = await connection.channel(publisher_confirms=True, on_return_raises=True)
        queue = await reader.declare_queue(DEAD_LETTER_QUEUE, passive=True)
        # Only what is there now: a replayed message that fails again comes back to the end of
        # the queue and must not be replayed twice in one go.
        for _ in range(int(queue.declaration_result.message_count or 0)):
            message = await queue.get(fail=False, timeout=10)
            if message is None:
                break
            letter = describe(message)
            if wanted and letter.message_id not in wanted:
                continue
            try:
                await _send_back(writer, message, letter.queue)
            except Unroutable:
                refused.append(letter)
                continue
            await message.ack()
            replayed.append(letter)
    return replayed, refused


async def _send_back(
    channel: AbstractChannel, message: AbstractIncomingMessage, queue: str
) -> None:
    if not queue:
        raise Unroutable(REQUEUE_EXCHANGE, "")
    headers = {k: v for k, v in (message.headers or {}).items() if k not in _FAILURE_HEADERS}
    copy = aio_pika.Message(
        message.body,
        headers=headers,
        content_type=message.content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message.message_id,
        type=message.type,
    )
    exchange = await channel.get_exchange(REQUEUE_EXCHANGE, ensure=False)
    key = requeue_key("replay", queue)
    try:
        with continuing(headers):  # the replay belongs to the event's trace
            await exchange.publish(copy, key, mandatory=True, timeout=10)
    except aiormq.exceptions.PublishError:
        raise Unroutable(REQUEUE_EXCHANGE, key) from None


def describe(message: AbstractIncomingMessage) -> DeadLetter:
    """What an operator needs to know about one dead letter."""
    headers = message.headers or {}
    queue = _text(headers.get(QUEUE_HEADER))
    reason = _text(headers.get(REASON_HEADER))
    if not queue:
        # Rejected the old way (no Jeeves headers): RabbitMQ's own x-death says where from.
        deaths = headers.get("x-death")
        if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict):
            queue = _text(deaths[0].get("queue"))
            reason = reason or f"rejected by {queue}"
    attempts = headers.get(ATTEMPTS_HEADER)
    return DeadLetter(
        message_id=message.message_id or "",
        queue=queue,
        reason=reason or "unknown",
        attempts=attempts if isinstance(attempts, int) else 0,
        failed_at=_text(headers.get(FAILED_AT_HEADER)),
        type=message.type or "",
        summary=_summary(message.body),
    )


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value if isinstance(value, str) else ""


def _summary(body: bytes, width: int = 80) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return f"{len(body)} bytes, not JSON"
    if not isinstance(data, dict):
        return "JSON, not a message"
    if data.get("kind") == "action":
        text = f"{data.get('command', '?')}: {data.get('text', '')}"
    elif isinstance(data.get("parts"), list):  # a reply since version 2
        text = " ".join(str(p.get("text", "")) for p in data["parts"] if isinstance(p, dict))
    else:
        text = str(data.get("text", ""))
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
