"""The RabbitMQ bus: aio-pika with confirms, persistence, durable queues and manual acks.

One robust connection per process. Publishing uses one channel with publisher confirms and
``mandatory`` routing, so :meth:`AmqpBus.publish` returns only once the broker has the message
safely (persisted in a durable queue) and raises otherwise. Each subscription has its own channel
with its own prefetch; a message is acknowledged only after its handler returns. A failed message
waits in a delay queue and comes back to its queue (see :class:`AmqpSubscription`); out of
attempts, or malformed, it goes to the dead-letter queue with the reason in its headers.

Topology (all durable; every process declares it, declarations are idempotent)::

    jeeves.actions / jeeves.replies (topic) ──> work queues (quorum)
    work queue ──failure──> jeeves.retry (topic, "<delay>.<queue>") ──> jeeves.retry.<delay>
    jeeves.retry.<delay> ──TTL──> jeeves.requeue (topic, "*.<queue>") ──> work queue
    work queue ──out of attempts / malformed──> jeeves.dead (fanout) ──> jeeves.dead-letter
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from datetime import UTC, datetime

import aio_pika
import aiormq
import structlog
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
    ConsumerTag,
)

from jeeves_shared.bus import (
    BusUnavailable,
    Handler,
    PermanentFailure,
    RetryLater,
    RetryPolicy,
    Unroutable,
)
from jeeves_shared.bus.topology import (
    ACTIONS_EXCHANGE,
    DEAD_LETTER_EXCHANGE,
    DEAD_LETTER_QUEUE,
    REPLIES_EXCHANGE,
    REQUEUE_EXCHANGE,
    RETRY_EXCHANGE,
    QueueSpec,
    delay_label,
    delay_queue,
    requeue_key,
)
from jeeves_shared.messages import Action, MalformedMessage, Reply, decode, encode
from jeeves_shared.runtime.logs import redact_url

log = structlog.get_logger(__name__)

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


class AmqpBus:
    """A :class:`~jeeves_shared.bus.Bus` over RabbitMQ.

    ``declare`` names the worker queues to declare on connect, so that publishing never races a
    worker's first start. ``start`` returns at once: connecting (and reconnecting with a bounded
    backoff) happens in the background, and until it succeeds :meth:`publish` raises
    :class:`BusUnavailable`. ``retry`` is what this process's consumers do with failed messages
    (its delay queues are declared on connect).
    """

    def __init__(
        self,
        url: str,
        *,
        declare: Iterable[QueueSpec] = (),
        retry: RetryPolicy | None = None,
        publish_timeout: float = 2.0,
        max_backoff: float = 5.0,
    ) -> None:
        self._url = url
        self._declare = tuple(declare)
        self._retry = retry or RetryPolicy()
        self._publish_timeout = publish_timeout
        self._max_backoff = max_backoff
        self._connection: AbstractRobustConnection | None = None
        self._exchanges: dict[str, AbstractExchange] = {}
        self._connected = asyncio.Event()
        self._connector: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Begin connecting in the background."""
        if self._connector is None:
            self._connector = asyncio.create_task(self._connect(), name="amqp-connect")

    async def wait_ready(self, timeout: float | None = None) -> None:
        """Wait until the first connection and topology declaration have succeeded."""
        try:
            await asyncio.wait_for(self._connected.wait(), timeout)
        except TimeoutError:
            raise BusUnavailable(f"no broker at {redact_url(self._url)}") from None

    def is_ready(self) -> bool:
        """True while the connection is open (a robust connection may be reconnecting)."""
        conn = self._connection
        return conn is not None and not conn.is_closed and self._connected.is_set()

    async def close(self) -> None:
        """Stop connecting and close the connection."""
        if self._connector is not None:
            self._connector.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connector
        if self._connection is not None:
            await self._connection.close()
        self._connected.clear()

    async def _connect(self) -> None:
        delay = 0.2
        while not await self._try_connect():
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_backoff)
        self._connected.set()
        log.info("amqp.connected", url=redact_url(self._url))

    async def _try_connect(self) -> bool:
        """Connect, open the publishing channel and declare the topology; False to retry."""
        connection: AbstractRobustConnection | None = None
        try:
            connection = await aio_pika.connect_robust(self._url, reconnect_interval=1, timeout=5)
            channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
            self._exchanges = await declare_topology(channel, self._declare, self._retry.delays)
        except (*BROKER_ERRORS, TimeoutError) as exc:
            # PRECONDITION_FAILED (a queue declared with other arguments) lands here too:
            # it is logged and retried rather than leaving the process connected to nothing.
            log.warning("amqp.connect_failed", url=redact_url(self._url), error=str(exc))
            if connection is not None:
                with contextlib.suppress(*BROKER_ERRORS):
                    await connection.close()
            return False
        self._connection = connection
        return True

    async def publish(self, exchange: str, routing_key: str, message: Action | Reply) -> None:
        """Publish persistently; return once the broker confirms, raise otherwise."""
        amqp_message = aio_pika.Message(
            encode(message),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message.id,
            type=f"{message.kind}.v{message.version}",
        )
        await self.publish_message(exchange, routing_key, amqp_message)

    async def publish_message(
        self, exchange: str, routing_key: str, amqp_message: aio_pika.Message
    ) -> None:
        """Publish an AMQP message as it is (retries, dead letters, replays); confirmed."""
        target = self._exchanges.get(exchange)
        if target is None or not self.is_ready():
            raise BusUnavailable("not connected to the broker")
        try:
            # asyncio.timeout rather than aio-pika's own timeout, which wraps every publish in a
            # task of its own (measurable on the front door's hot path).
            async with asyncio.timeout(self._publish_timeout):
                await target.publish(amqp_message, routing_key, mandatory=True)
        except aiormq.exceptions.PublishError:
            raise Unroutable(exchange, routing_key) from None
        except (*BROKER_ERRORS, TimeoutError) as exc:
            raise BusUnavailable(f"publish not confirmed: {type(exc).__name__}") from exc

    async def consume(
        self, queue: QueueSpec, handler: Handler, *, prefetch: int
    ) -> AmqpSubscription:
        """Consume ``queue`` on a channel of its own with ``prefetch`` unacked messages at most."""
        if self._connection is None:
            raise BusUnavailable("not connected to the broker")
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=prefetch)
        await declare_topology(channel, (), self._retry.delays)
        amqp_queue = await declare_queue(channel, queue)
        subscription = AmqpSubscription(self, channel, amqp_queue, handler, self._retry)
        await subscription.start()
        return subscription


class AmqpSubscription:
    """A consumer that acks after the handler succeeds, and retries or dead-letters when not.

    A failed message is not rejected back into its queue (it would come straight back): a copy
    with its attempt count goes to the delay queue of the next retry level (publisher-confirmed),
    and only then is the original acknowledged. Out of attempts, malformed, or failed for good, the
    copy goes to the dead-letter queue with the reason instead.
    """

    def __init__(
        self,
        bus: AmqpBus,
        channel: AbstractChannel,
        queue: AbstractQueue,
        handler: Handler,
        retry: RetryPolicy,
    ) -> None:
        self._bus = bus
        self._channel = channel
        self._queue = queue
        self._handler = handler
        self._retry = retry
        self._tag: ConsumerTag | None = None
        self._inflight: set[asyncio.Task[None]] = set()

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
        try:
            await self._handler(decoded)
        except PermanentFailure as exc:
            await self._dead_letter(message, _reason(exc), attempts=attempts)
        except Exception as exc:
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
            await self._settle(message)

    async def _retry_later(
        self, message: AbstractIncomingMessage, delay: float, error: str, *, attempts: int
    ) -> None:
        key = requeue_key(delay_label(delay), self._queue.name)
        headers: dict[str, int | str] = {ATTEMPTS_HEADER: attempts, ERROR_HEADER: error[:500]}
        await self._forward(message, RETRY_EXCHANGE, key, headers)

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
        await self._forward(message, DEAD_LETTER_EXCHANGE, self._queue.name, headers)

    async def _forward(
        self,
        message: AbstractIncomingMessage,
        exchange: str,
        routing_key: str,
        headers: dict[str, int | str],
    ) -> None:
        """Publish a copy of ``message`` (confirmed), then ack the original.

        If the copy is not confirmed, the original goes back to its queue to be tried again:
        a message is never acknowledged before it is safe somewhere else.
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
            await self._bus.publish_message(exchange, routing_key, copy)
        except BusUnavailable as exc:
            log.warning("bus.forward_failed", queue=self._queue.name, error=str(exc))
            if _delivery_count(message) + 1 >= REDELIVERY_LIMIT:
                # Past the limit: the queue's own dead-letter exchange takes it, no publish needed.
                await self._settle(message, reject=True)
                return
            await asyncio.sleep(FORWARD_PAUSE)  # do not spin on a broker in trouble
            await self._settle(message, requeue=True)
            return
        await self._settle(message)

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


async def declare_topology(
    channel: AbstractChannel, queues: Iterable[QueueSpec], retry_delays: Iterable[float] = ()
) -> dict[str, AbstractExchange]:
    """Declare the exchanges, the dead-letter and delay queues, and ``queues``; idempotent."""
    exchanges = {
        name: await channel.declare_exchange(name, aio_pika.ExchangeType.TOPIC, durable=True)
        for name in (ACTIONS_EXCHANGE, REPLIES_EXCHANGE, RETRY_EXCHANGE, REQUEUE_EXCHANGE)
    }
    exchanges[DEAD_LETTER_EXCHANGE] = await channel.declare_exchange(
        DEAD_LETTER_EXCHANGE, aio_pika.ExchangeType.FANOUT, durable=True
    )
    dead_queue = await channel.declare_queue(
        DEAD_LETTER_QUEUE, durable=True, arguments={"x-queue-type": "quorum"}
    )
    await dead_queue.bind(DEAD_LETTER_EXCHANGE)
    for delay in sorted(set(retry_delays)):
        waiting = await channel.declare_queue(
            delay_queue(delay),
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-message-ttl": round(delay * 1000),
                "x-dead-letter-exchange": REQUEUE_EXCHANGE,
                # Quorum queues can dead-letter at least once (confirmed by the target queue),
                # so a broker crash at the moment a delay ends does not lose the message.
                "x-dead-letter-strategy": "at-least-once",
                "x-overflow": "reject-publish",
            },
        )
        await waiting.bind(RETRY_EXCHANGE, f"{delay_label(delay)}.#")
    for spec in queues:
        await declare_queue(channel, spec)
    return exchanges


async def declare_queue(channel: AbstractChannel, spec: QueueSpec) -> AbstractQueue:
    """Declare a durable quorum work queue with its bindings.

    Besides ``spec``'s own, it is bound on :data:`REQUEUE_EXCHANGE` with ``*.<name>``: retried
    and replayed messages come back that way. Rejected messages fall to ``jeeves.dead``.
    """
    queue = await channel.declare_queue(
        spec.name,
        durable=True,
        arguments={"x-queue-type": "quorum", "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE},
    )
    for key in spec.routing_keys:
        await queue.bind(spec.exchange, key)
    await queue.bind(REQUEUE_EXCHANGE, requeue_key("*", spec.name))
    return queue
