"""An in-process bus with the same contract as RabbitMQ, for ``jeeves dev`` and fast tests.

Messages are encoded on publish and decoded on delivery, exactly as on the wire, so dev mode
exercises the same schemas. Routing uses AMQP topic semantics; a message nobody is bound for
raises :class:`~jeeves_shared.bus.Unroutable`, as a ``mandatory`` publish to RabbitMQ does.
A failed message is delivered again after the delays of the bus's
:class:`~jeeves_shared.bus.RetryPolicy`; dead-lettered messages are kept in
:attr:`MemoryBus.dead_letters` with their reason. (Nothing here survives the process: that is
what RabbitMQ is for.) Each message carries the publisher's W3C trace context, as AMQP
headers do, and its handling is logged with its correlation fields, as the RabbitMQ consumer's
is, so ``jeeves dev``'s log lines of one event share its action id and trace id.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from opentelemetry import propagate

from jeeves_shared.bus import Handler, PermanentFailure, RetryLater, RetryPolicy, Unroutable
from jeeves_shared.bus.topology import QueueSpec, kind_of_queue, topic_matches
from jeeves_shared.messages import Action, MalformedMessage, Reply, decode, encode
from jeeves_shared.observability.metrics import MESSAGE_HANDLING, MESSAGES_HANDLED, PUBLISHES
from jeeves_shared.observability.tracing import continuing
from jeeves_shared.runtime.logs import bind_message

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RejectedMessage:
    """A message this bus dead-lettered, with why (RabbitMQ's are read as
    :class:`~jeeves_shared.bus.dead_letters.DeadLetter`)."""

    queue: str
    body: bytes
    reason: str


@dataclass(frozen=True)
class Failure:
    """A handler failure, kept for ``jeeves dev``'s status page (:attr:`MemoryBus.failures`)."""

    queue: str
    #: ``retried`` or ``dead_lettered``.
    outcome: str
    reason: str
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


@dataclass(frozen=True)
class _Delivery:
    body: bytes
    #: Failed attempts before this one.
    failures: int = 0
    #: The publisher's trace context (``traceparent``), as AMQP message headers carry it.
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Queue:
    spec: QueueSpec
    pending: asyncio.Queue[_Delivery] = field(default_factory=asyncio.Queue)


class MemorySubscription:
    """A consumer task over one in-memory queue."""

    def __init__(self, bus: MemoryBus, queue: _Queue, handler: Handler, prefetch: int) -> None:
        self._bus = bus
        self._queue = queue
        self._handler = handler
        self._slots = asyncio.Semaphore(prefetch)
        self._inflight: set[asyncio.Task[None]] = set()
        self._task = asyncio.create_task(self._run(), name=f"consume:{queue.spec.name}")

    async def _run(self) -> None:
        while True:
            await self._slots.acquire()
            delivery = await self._queue.pending.get()
            task = asyncio.create_task(self._deliver(delivery))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def _deliver(self, delivery: _Delivery) -> None:
        name = self._queue.spec.name
        kind = kind_of_queue(name)
        started = time.perf_counter()
        outcome = "dead_lettered"
        with contextlib.ExitStack() as context:
            try:
                decoded = decode(delivery.body)
                # Every line about this message, retries included, carries its fields.
                context.enter_context(continuing(delivery.headers))
                context.enter_context(bind_message(decoded))
                await self._handler(decoded)
                outcome = "acked"
            except MalformedMessage as exc:
                self._bus.dead_letter(name, delivery.body, f"malformed: {exc}")
            except PermanentFailure as exc:
                self._bus.dead_letter(name, delivery.body, f"PermanentFailure: {exc}")
            except Exception as exc:
                outcome = self._retry_or_dead_letter(delivery, exc)
            finally:
                self._slots.release()
                MESSAGE_HANDLING.labels(kind).observe(time.perf_counter() - started)
                MESSAGES_HANDLED.labels(kind, outcome).inc()

    def _retry_or_dead_letter(self, delivery: _Delivery, exc: Exception) -> str:
        """Deliver again after the retry policy's delay, or dead-letter once it gives up: the
        outcome (``retried`` or ``dead_lettered``)."""
        name = self._queue.spec.name
        failures = delivery.failures + 1
        delay = self._bus.retry.delay_after(failures)
        if isinstance(exc, RetryLater):
            log.info("bus.retry_later", queue=name, attempt=failures, reason=str(exc))
        else:
            log.warning("bus.handler_failed", queue=name, attempt=failures, exc_info=True)
        if delay is None:
            reason = f"{type(exc).__name__}: {exc} (after {failures} attempts)"
            self._bus.dead_letter(name, delivery.body, reason)
            return "dead_lettered"
        self._bus.failures.append(Failure(name, "retried", f"{type(exc).__name__}: {exc}"))
        again = _Delivery(delivery.body, failures, delivery.headers)
        asyncio.get_running_loop().call_later(delay, self._queue.pending.put_nowait, again)
        return "retried"

    async def stop(self, timeout: float) -> None:
        """Stop taking messages; wait up to ``timeout`` s for those being handled, then cancel
        what is left (as the RabbitMQ bus does; here nothing keeps their messages)."""
        self._task.cancel()
        if self._inflight:
            _, pending = await asyncio.wait(self._inflight, timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=1)


class MemoryBus:
    """Topic routing between queues that live in this process."""

    def __init__(
        self, queues: tuple[QueueSpec, ...] = (), retry: RetryPolicy | None = None
    ) -> None:
        self.retry = retry or RetryPolicy()
        self._queues: dict[str, _Queue] = {}
        self.dead_letters: list[RejectedMessage] = []
        #: The last handler failures (retried or dead-lettered), oldest first.
        self.failures: deque[Failure] = deque(maxlen=20)
        for spec in queues:
            self.declare(spec)

    def declare(self, spec: QueueSpec) -> None:
        """Create ``spec``'s queue and bindings if they do not exist yet."""
        self._queues.setdefault(spec.name, _Queue(spec))

    async def start(self) -> None:
        """Nothing to connect to."""

    async def wait_ready(self, timeout: float | None = None) -> None:
        """Always ready."""

    def is_ready(self) -> bool:
        """Always ready."""
        return True

    async def close(self) -> None:
        """Nothing to close; subscriptions are stopped by their owners."""

    async def publish(self, exchange: str, routing_key: str, message: Action | Reply) -> None:
        """Copy the encoded message into every queue bound for ``routing_key``."""
        targets = [q for q in self._queues.values() if _binds(q.spec, exchange, routing_key)]
        if not targets:
            PUBLISHES.labels(exchange, "unroutable").inc()
            raise Unroutable(exchange, routing_key)
        headers: dict[str, str] = {}
        propagate.inject(headers)
        delivery = _Delivery(encode(message), headers=headers)
        for queue in targets:
            queue.pending.put_nowait(delivery)
        PUBLISHES.labels(exchange, "confirmed").inc()  # in memory: nothing to wait for

    def depths(self) -> dict[str, int]:
        """Messages waiting in each queue (not counting those being handled), by queue name."""
        return {name: queue.pending.qsize() for name, queue in self._queues.items()}

    async def publish_raw(self, queue: str, body: bytes) -> None:
        """Put arbitrary bytes on a queue (tests use it to deliver poison messages)."""
        self._queues[queue].pending.put_nowait(_Delivery(body))

    async def consume(
        self, queue: QueueSpec, handler: Handler, *, prefetch: int
    ) -> MemorySubscription:
        """Run ``handler`` for each message on ``queue``, at most ``prefetch`` at a time."""
        self.declare(queue)
        return MemorySubscription(self, self._queues[queue.name], handler, prefetch)

    def dead_letter(self, queue: str, body: bytes, reason: str) -> None:
        """Keep a rejected message with its reason."""
        log.warning("bus.dead_lettered", queue=queue, reason=reason)
        self.dead_letters.append(RejectedMessage(queue, body, reason))
        self.failures.append(Failure(queue, "dead_lettered", reason))


def _binds(spec: QueueSpec, exchange: str, routing_key: str) -> bool:
    return spec.exchange == exchange and any(
        topic_matches(pattern, routing_key) for pattern in spec.routing_keys
    )
