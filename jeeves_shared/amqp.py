"""The RabbitMQ bus: aio-pika with confirms, persistence, durable queues and manual acks.

One robust connection per process. Publishing uses one channel with publisher confirms and
``mandatory`` routing, so :meth:`AmqpBus.publish` returns only once the broker has the message
safely (persisted in a durable queue) and raises otherwise. Each subscription has its own channel
with its own prefetch; a message is acknowledged only after its handler returns, and rejected to
the dead-letter exchange if the handler raises or the bytes are not a message.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable

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

from jeeves_shared.bus import BusUnavailable, Handler, Unroutable
from jeeves_shared.logs import redact_url
from jeeves_shared.messages import Action, MalformedMessage, Reply, decode, encode
from jeeves_shared.topology import (
    ACTIONS_EXCHANGE,
    DEAD_LETTER_EXCHANGE,
    DEAD_LETTER_QUEUE,
    REPLIES_EXCHANGE,
    QueueSpec,
)

log = structlog.get_logger(__name__)

_BROKER_ERRORS = (
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
    :class:`BusUnavailable`.
    """

    def __init__(
        self,
        url: str,
        *,
        declare: Iterable[QueueSpec] = (),
        publish_timeout: float = 2.0,
        max_backoff: float = 5.0,
    ) -> None:
        self._url = url
        self._declare = tuple(declare)
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
            self._exchanges = await declare_topology(channel, self._declare)
        except (*_BROKER_ERRORS, TimeoutError) as exc:
            # PRECONDITION_FAILED (a queue declared with other arguments) lands here too:
            # it is logged and retried rather than leaving the process connected to nothing.
            log.warning("amqp.connect_failed", url=redact_url(self._url), error=str(exc))
            if connection is not None:
                with contextlib.suppress(*_BROKER_ERRORS):
                    await connection.close()
            return False
        self._connection = connection
        return True

    async def publish(self, exchange: str, routing_key: str, message: Action | Reply) -> None:
        """Publish persistently; return once the broker confirms, raise otherwise."""
        target = self._exchanges.get(exchange)
        if target is None or not self.is_ready():
            raise BusUnavailable("not connected to the broker")
        amqp_message = aio_pika.Message(
            encode(message),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message.id,
            type=f"{message.kind}.v{message.version}",
        )
        try:
            # asyncio.timeout rather than aio-pika's own timeout, which wraps every publish in a
            # task of its own (measurable on the front door's hot path).
            async with asyncio.timeout(self._publish_timeout):
                await target.publish(amqp_message, routing_key, mandatory=True)
        except aiormq.exceptions.PublishError:
            raise Unroutable(exchange, routing_key) from None
        except (*_BROKER_ERRORS, TimeoutError) as exc:
            raise BusUnavailable(f"publish not confirmed: {type(exc).__name__}") from exc

    async def consume(
        self, queue: QueueSpec, handler: Handler, *, prefetch: int
    ) -> AmqpSubscription:
        """Consume ``queue`` on a channel of its own with ``prefetch`` unacked messages at most."""
        if self._connection is None:
            raise BusUnavailable("not connected to the broker")
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=prefetch)
        await declare_topology(channel, ())
        amqp_queue = await declare_queue(channel, queue)
        subscription = AmqpSubscription(channel, amqp_queue, handler)
        await subscription.start()
        return subscription


class AmqpSubscription:
    """A consumer that acks after the handler succeeds and dead-letters when it fails."""

    def __init__(self, channel: AbstractChannel, queue: AbstractQueue, handler: Handler) -> None:
        self._channel = channel
        self._queue = queue
        self._handler = handler
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
        try:
            decoded = decode(message.body)
        except MalformedMessage as exc:
            log.warning("bus.malformed", queue=self._queue.name, error=str(exc))
            await self._settle(message, ack=False)
            return
        try:
            await self._handler(decoded)
        except Exception:
            log.exception("bus.handler_failed", queue=self._queue.name, message_id=decoded.id)
            await self._settle(message, ack=False)
        else:
            await self._settle(message, ack=True)

    async def _settle(self, message: AbstractIncomingMessage, *, ack: bool) -> None:
        """Ack, or reject to the dead-letter exchange.

        If the channel was reopened by a reconnect meanwhile, the broker has already put the
        message back in its queue; it will be delivered again, so there is nothing to do.
        """
        try:
            await (message.ack() if ack else message.reject(requeue=False))
        except _BROKER_ERRORS as exc:
            log.warning("bus.settle_failed", queue=self._queue.name, error=str(exc))

    async def stop(self, timeout: float) -> None:
        """Cancel the consumer, let in-flight handlers finish, then close the channel.

        Messages that were prefetched but not handled go back to the queue when the channel
        closes, so nothing is lost by stopping.
        """
        if self._tag is not None and not self._channel.is_closed:
            with contextlib.suppress(*_BROKER_ERRORS):
                await self._queue.cancel(self._tag)
        if self._inflight:
            _, pending = await asyncio.wait(self._inflight, timeout=timeout)
            if pending:
                log.warning("bus.drain_timeout", queue=self._queue.name, unfinished=len(pending))
        if not self._channel.is_closed:
            await self._channel.close()


async def declare_topology(
    channel: AbstractChannel, queues: Iterable[QueueSpec]
) -> dict[str, AbstractExchange]:
    """Declare the exchanges, the dead-letter queue and ``queues``; idempotent."""
    exchanges = {
        name: await channel.declare_exchange(name, aio_pika.ExchangeType.TOPIC, durable=True)
        for name in (ACTIONS_EXCHANGE, REPLIES_EXCHANGE)
    }
    dead = await channel.declare_exchange(
        DEAD_LETTER_EXCHANGE, aio_pika.ExchangeType.FANOUT, durable=True
    )
    dead_queue = await channel.declare_queue(
        DEAD_LETTER_QUEUE, durable=True, arguments={"x-queue-type": "quorum"}
    )
    await dead_queue.bind(dead)
    for spec in queues:
        await declare_queue(channel, spec)
    return exchanges


async def declare_queue(channel: AbstractChannel, spec: QueueSpec) -> AbstractQueue:
    """Declare a durable quorum queue that dead-letters to ``jeeves.dead``, with its bindings."""
    queue = await channel.declare_queue(
        spec.name,
        durable=True,
        arguments={"x-queue-type": "quorum", "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE},
    )
    for key in spec.routing_keys:
        await queue.bind(spec.exchange, key)
    return queue
