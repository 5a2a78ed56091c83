"""Consuming a RabbitMQ queue: ack after the handler succeeds, else retry or dead-letter.

A failed message is not rejected back into its queue (it would come straight back): a copy with
its attempt count goes to the delay queue of the next retry level (publisher-confirmed), and
only then is the original acknowledged. Out of attempts, malformed, or failed for good, the copy
goes to the dead-letter queue with the reason in its headers (read by
:mod:`jeeves_shared.bus.dead_letters`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import aio_pika
import aiormq
import structlog
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue, ConsumerTag

from jeeves_shared.bus import BusUnavailable, Handler, PermanentFailure, RetryLater, RetryPolicy
from jeeves_shared.bus.topology import (
    DEAD_LETTER_EXCHANGE,
    RETRY_EXCHANGE,
    delay_label,
    kind_of_queue,
    requeue_key,
)
from jeeves_shared.messages import MalformedMessage, decode
from jeeves_shared.observability.metrics import MESSAGE_HANDLING, MESSAGES_HANDLED

log = structlog.get_logger(__name__)

#: Publishes an AMQP message as it is, confirmed (:meth:`AmqpBus.publish_message
#: <jeeves_shared.bus.amqp.AmqpBus.publish_message>`).
PublishMessage = Callable[[str, str, aio_pika.Message], Awaitable[None]]

#: Headers Jeeves sets on retried and dead-lettered copies of a message.
ATTEMPTS_HEADER = "x-jeeves-attempts"
ERROR_HEADER = "x-jeeves-last-error"
REASON_HEADER = "x-jeeves-reason"
QUEUE_HEADER = "x-jeeves-queue"
FAILED_AT_HEADER = "x-jeeves-failed-at"

#: Seconds handlers cancelled at the end of a drain get to clean up.
CANCEL_GRACE = 2.0
#: A message delivered this many times without ever being settled (its worker crashes on it,
#: or its retry copy cannot be published) is dead-lettered instead of delivered again.
REDELIVERY_LIMIT = 20
#: Seconds to wait before putting back a message whose copy could not be published.
FORWARD_PAUSE = 1.0

#: What aio-pika raises when the broker is unreachable, goes away, or refuses an operation.
BROKER_ERRORS = (
    aiormq.exceptions.AMQPError,
    aio_pika.exceptions.ChannelInvalidStateError,
    ConnectionError,
    OSError,
)


class AmqpSubscription:
    """A consumer that acks after the handler succeeds, and retries or dead-letters when not.

    A failed message is not rejected back into its queue (it would come straight back): a copy
    with its attempt count goes to the delay queue of the next retry level (publisher-confirmed),
    and only then is the original acknowledged. Out of attempts, malformed, or failed for good, the
    copy goes to the dead-letter queue with the reason instead.
    """

    def __init__(
        self,
        publish: PublishMessage,
        channel: AbstractChannel,
        queue: AbstractQueue,
        handler: Handler,
        retry: RetryPolicy,
    ) -> None:
        self._publish = publish
        self._channel = channel
        self._queue = queue
        self._handler = handler
        self._retry = retry
        self._tag: ConsumerTag | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._kind = kind_of_queue(queue.name)
        self._handled = {
            outcome: MESSAGES_HANDLED.labels(self._kind, outcome)
            for outcome in ("acked", "retried", "dead_lettered", "returned")
        }
        self._handling = MESSAGE_HANDLING.labels(self._kind)

    async def start(self) -> None:
        """Register the consumer with the broker."""
        self._tag = await self._queue.consume(self._on_message)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            await self._process(message)
        finally:
            if task is not None:
                self._inflight.discard(task)

    async def _process(self, message: AbstractIncomingMessage) -> None:
        redelivered = _delivery_count(message)
        if redelivered >= REDELIVERY_LIMIT:
            reason = f"delivered {redelivered} times without an outcome (does it crash its worker?)"
            await self._dead_letter(message, reason, attempts=failed_attempts(message))
            return
        try:
            decoded = decode(message.body)
        except MalformedMessage as exc:
            await self._dead_letter(message, f"malformed: {exc}", attempts=1)
            return
        attempts = failed_attempts(message) + 1
        started = time.perf_counter()
        try:
            await self._handler(decoded)
        except PermanentFailure as exc:
            self._handling.observe(time.perf_counter() - started)
            await self._dead_letter(message, _reason(exc), attempts=attempts)
        except Exception as exc:
            self._handling.observe(time.perf_counter() - started)
            delay = self._retry.delay_after(attempts)
            expected = isinstance(exc, RetryLater)
            (log.info if expected else log.warning)(
                "bus.retry_later" if expected else "bus.handler_failed",
                queue=self._queue.name,
                message_id=decoded.id,
                attempt=attempts,
                retry_in=delay,
                reason=_reason(exc),
                exc_info=not expected,
            )
            if delay is None:
                reason = f"{_reason(exc)} (after {attempts} attempts)"
                await self._dead_letter(message, reason, attempts=attempts)
            else:
                await self._retry_later(message, delay, _reason(exc), attempts=attempts)
        else:
            self._handling.observe(time.perf_counter() - started)
            await self._settle(message)
            self._handled["acked"].inc()

    async def _retry_later(
        self, message: AbstractIncomingMessage, delay: float, error: str, *, attempts: int
    ) -> None:
        key = requeue_key(delay_label(delay), self._queue.name)
        headers: dict[str, int | str] = {ATTEMPTS_HEADER: attempts, ERROR_HEADER: error[:500]}
        if await self._forward(message, RETRY_EXCHANGE, key, headers):
            self._handled["retried"].inc()

    async def _dead_letter(
        self, message: AbstractIncomingMessage, reason: str, *, attempts: int
    ) -> None:
        log.error("bus.dead_lettered", queue=self._queue.name, reason=reason, attempts=attempts)
        headers: dict[str, int | str] = {
            ATTEMPTS_HEADER: attempts,
            REASON_HEADER: reason[:500],
            QUEUE_HEADER: self._queue.name,
            FAILED_AT_HEADER: datetime.now(UTC).isoformat(timespec="seconds"),
        }
        if await self._forward(message, DEAD_LETTER_EXCHANGE, self._queue.name, headers):
            self._handled["dead_lettered"].inc()

    async def _forward(
        self,
        message: AbstractIncomingMessage,
        exchange: str,
        routing_key: str,
        headers: dict[str, int | str],
    ) -> bool:
        """Publish a copy of ``message`` (confirmed), then ack the original; True if so.

        If the copy is not confirmed, the original goes back to its queue to be tried again
        (False): a message is never acknowledged before it is safe somewhere else.
        """
        copy = aio_pika.Message(
            message.body,
            headers={**(message.headers or {}), **headers},
            content_type=message.content_type,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message.message_id,
            type=message.type,
        )
        try:
            await self._publish(exchange, routing_key, copy)
        except BusUnavailable as exc:
            log.warning("bus.forward_failed", queue=self._queue.name, error=str(exc))
            if _delivery_count(message) + 1 >= REDELIVERY_LIMIT:
                # Past the limit: the queue's own dead-letter exchange takes it, no publish needed.
                await self._settle(message, reject=True)
                self._handled["dead_lettered"].inc()
                return False
            await asyncio.sleep(FORWARD_PAUSE)  # do not spin on a broker in trouble
            await self._settle(message, requeue=True)
            self._handled["returned"].inc()
            return False
        await self._settle(message)
        return True

    async def _settle(
        self, message: AbstractIncomingMessage, *, requeue: bool = False, reject: bool = False
    ) -> None:
        """Ack (or put back, with ``requeue``; or reject to the queue's dead-letter exchange).

        If the channel was reopened by a reconnect meanwhile, the broker has already put the
        message back in its queue; it will be delivered again, so there is nothing to do.
        """
        try:
            if reject:
                await message.reject(requeue=False)
            elif requeue:
                await message.nack(requeue=True)
            else:
                await message.ack()
        except BROKER_ERRORS as exc:
            log.warning("bus.settle_failed", queue=self._queue.name, error=str(exc))

    async def stop(self, timeout: float) -> None:
        """Cancel the consumer, let in-flight handlers finish, then close the channel.

        Handlers still running after ``timeout`` are cancelled. Messages that were prefetched
        or cancelled go back to the queue when the channel closes, so nothing is lost.
        """
        if self._tag is not None and not self._channel.is_closed:
            with contextlib.suppress(*BROKER_ERRORS):
                await self._queue.cancel(self._tag)
        if self._inflight:
            _, pending = await asyncio.wait(self._inflight, timeout=timeout)
            if pending:
                # Cancelled now, while the clients they use are still open: they can give back
                # what they hold (a claim), and their messages return to the queue unacked.
                log.warning("bus.drain_timeout", queue=self._queue.name, unfinished=len(pending))
                for task in pending:
                    task.cancel()
                await asyncio.wait(pending, timeout=CANCEL_GRACE)
        if not self._channel.is_closed:
            await self._channel.close()


def failed_attempts(message: AbstractIncomingMessage) -> int:
    """How many times this message has failed before (0 for a first delivery)."""
    value = (message.headers or {}).get(ATTEMPTS_HEADER, 0)
    return value if isinstance(value, int) and value >= 0 else 0


def _delivery_count(message: AbstractIncomingMessage) -> int:
    """How many times a quorum queue delivered this message before, unsettled."""
    value = (message.headers or {}).get("x-delivery-count", 0)
    return value if isinstance(value, int) else 0


def _reason(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
