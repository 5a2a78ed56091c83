"""An in-process bus with the same contract as RabbitMQ, for ``jeeves dev`` and fast tests.

Messages are encoded on publish and decoded on delivery, exactly as on the wire, so dev mode
exercises the same schemas. Routing uses AMQP topic semantics; a message nobody is bound for
raises :class:`~jeeves_shared.bus.Unroutable`, as a ``mandatory`` publish to RabbitMQ does.
Dead-lettered messages are kept in :attr:`MemoryBus.dead_letters` with their reason.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import structlog

from jeeves_shared.bus import Handler, Unroutable
from jeeves_shared.messages import Action, MalformedMessage, Reply, decode, encode
from jeeves_shared.topology import QueueSpec, topic_matches

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class DeadLetter:
    """A message that was rejected, with why."""

    queue: str
    body: bytes
    reason: str


@dataclass
class _Queue:
    spec: QueueSpec
    pending: asyncio.Queue[bytes] = field(default_factory=asyncio.Queue)


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
            body = await self._queue.pending.get()
            task = asyncio.create_task(self._deliver(body))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def _deliver(self, body: bytes) -> None:
        try:
            await self._handler(decode(body))
        except MalformedMessage as exc:
            self._bus.dead_letter(self._queue.spec.name, body, f"malformed: {exc}")
        except Exception as exc:
            log.exception("bus.handler_failed", queue=self._queue.spec.name)
            self._bus.dead_letter(self._queue.spec.name, body, f"{type(exc).__name__}: {exc}")
        finally:
            self._slots.release()

    async def stop(self, timeout: float) -> None:
        """Stop taking messages; wait up to ``timeout`` s for those being handled."""
        self._task.cancel()
        if self._inflight:
            await asyncio.wait(self._inflight, timeout=timeout)


class MemoryBus:
    """Topic routing between queues that live in this process."""

    def __init__(self, queues: tuple[QueueSpec, ...] = ()) -> None:
        self._queues: dict[str, _Queue] = {}
        self.dead_letters: list[DeadLetter] = []
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
            raise Unroutable(exchange, routing_key)
        body = encode(message)
        for queue in targets:
            queue.pending.put_nowait(body)

    async def publish_raw(self, queue: str, body: bytes) -> None:
        """Put arbitrary bytes on a queue (tests use it to deliver poison messages)."""
        self._queues[queue].pending.put_nowait(body)

    async def consume(
        self, queue: QueueSpec, handler: Handler, *, prefetch: int
    ) -> MemorySubscription:
        """Run ``handler`` for each message on ``queue``, at most ``prefetch`` at a time."""
        self.declare(queue)
        return MemorySubscription(self, self._queues[queue.name], handler, prefetch)

    def dead_letter(self, queue: str, body: bytes, reason: str) -> None:
        """Keep a rejected message with its reason."""
        log.warning("bus.dead_lettered", queue=queue, reason=reason)
        self.dead_letters.append(DeadLetter(queue, body, reason))


def _binds(spec: QueueSpec, exchange: str, routing_key: str) -> bool:
    return spec.exchange == exchange and any(
        topic_matches(pattern, routing_key) for pattern in spec.routing_keys
    )
