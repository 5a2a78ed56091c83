"""The RabbitMQ bus: aio-pika with confirms, persistence, durable queues and manual acks.

One robust connection per process. Publishing uses one channel with publisher confirms and
``mandatory`` routing, so :meth:`AmqpBus.publish` returns only once the broker has the message
safely (persisted in a durable queue) and raises otherwise. Each subscription has its own channel
with its own prefetch; a message is acknowledged only after its handler returns. A failed message
waits in a delay queue and comes back to its queue (see
:class:`~jeeves_shared.bus.amqp_consumer.AmqpSubscription`); out of attempts, or malformed, it
goes to the dead-letter queue with the reason in its headers.

Topology (all durable; every process declares it, declarations are idempotent)::

    jeeves.actions / jeeves.replies (topic) ──> work queues (quorum)
    work queue ──failure──> jeeves.retry (topic, "<delay>.<queue>") ──> jeeves.retry.<delay>
    jeeves.retry.<delay> ──TTL──> jeeves.requeue (topic, "*.<queue>") ──> work queue
    work queue ──out of attempts / malformed──> jeeves.dead (fanout) ──> jeeves.dead-letter
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable

import aio_pika
import aiormq
import structlog
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractQueue,
    AbstractRobustConnection,
)

from jeeves_shared.bus import BusUnavailable, Handler, RetryPolicy, Unroutable
from jeeves_shared.bus.amqp_consumer import BROKER_ERRORS, AmqpSubscription
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
from jeeves_shared.messages import Action, Reply, encode
from jeeves_shared.observability.metrics import PUBLISH_CONFIRM, PUBLISHES
from jeeves_shared.runtime.logs import redact_url

log = structlog.get_logger(__name__)


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
            PUBLISHES.labels(exchange, "unavailable").inc()
            raise BusUnavailable("not connected to the broker")
        started = time.perf_counter()
        try:
            # asyncio.timeout rather than aio-pika's own timeout, which wraps every publish in a
            # task of its own (measurable on the front door's hot path).
            async with asyncio.timeout(self._publish_timeout):
                await target.publish(amqp_message, routing_key, mandatory=True)
        except aiormq.exceptions.PublishError:
            PUBLISHES.labels(exchange, "unroutable").inc()
            raise Unroutable(exchange, routing_key) from None
        except (*BROKER_ERRORS, TimeoutError) as exc:
            PUBLISHES.labels(exchange, "unavailable").inc()
            raise BusUnavailable(f"publish not confirmed: {type(exc).__name__}") from exc
        PUBLISH_CONFIRM.labels(exchange).observe(time.perf_counter() - started)
        PUBLISHES.labels(exchange, "confirmed").inc()

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
        subscription = AmqpSubscription(
            self.publish_message, channel, amqp_queue, handler, self._retry
        )
        await subscription.start()
        return subscription


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
