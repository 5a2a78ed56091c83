"""The message bus interface, with two implementations behind it.

:class:`~jeeves_shared.bus.amqp.AmqpBus` talks to RabbitMQ (``jeeves up`` and production);
:class:`~jeeves_shared.bus.memory.MemoryBus` keeps everything in one process (``jeeves dev`` and
fast tests). Both route with AMQP topic semantics, both encode every message with
:func:`jeeves_shared.messages.encode`, and both give consumers the same contract:

* a handler that returns normally acknowledges its message (only after the work is done);
* a handler that raises has its message delivered again after the delays of the bus's
  :class:`RetryPolicy`; after the last one (or at once, for :class:`PermanentFailure`) the
  message is dead-lettered with the reason. Bytes that do not decode are dead-lettered at once;
* publishing a message that no queue would receive raises :class:`Unroutable`, and publishing
  without a confirm from the broker raises :class:`BusUnavailable`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from jeeves_shared.bus.topology import QueueSpec
from jeeves_shared.messages import Action, Reply

Handler = Callable[[Action | Reply], Awaitable[None]]


class BusUnavailable(RuntimeError):
    """The broker is unreachable or did not confirm a publish in time."""


class Unroutable(BusUnavailable):
    """No queue is bound for this exchange and routing key."""

    def __init__(self, exchange: str, routing_key: str) -> None:
        super().__init__(f"no queue bound on {exchange} for {routing_key}")
        self.exchange = exchange
        self.routing_key = routing_key


class PermanentFailure(Exception):
    """A handler failure that retrying cannot fix: the message is dead-lettered at once."""


class RetryLater(Exception):
    """Not an error: the message cannot be handled yet (someone else is on it); try it again
    after the next delay. It counts as an attempt, but is logged without a traceback."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often, and after how long, a message whose handler failed is delivered again.

    ``delays[n]`` is the wait before attempt ``n + 2``; after ``len(delays) + 1`` failed
    attempts the message is dead-lettered. The default rides out about four minutes of a
    dependency being down.
    """

    delays: tuple[float, ...] = (1, 5, 30, 60, 120)

    def __post_init__(self) -> None:
        if any(d <= 0 for d in self.delays):
            raise ValueError("retry delays must be positive")

    @property
    def max_attempts(self) -> int:
        """Attempts before a failing message is dead-lettered."""
        return len(self.delays) + 1

    def delay_after(self, failed_attempts: int) -> float | None:
        """The wait before the next attempt, or None when the message is out of attempts."""
        if 1 <= failed_attempts <= len(self.delays):
            return self.delays[failed_attempts - 1]
        return None

    @classmethod
    def parse(cls, text: str) -> RetryPolicy:
        """``"1,5,30"`` → delays of 1, 5 and 30 seconds (``""``: no retries)."""
        parts = [p.strip() for p in text.split(",") if p.strip()]
        try:
            return cls(tuple(float(p) for p in parts))
        except ValueError:
            raise ValueError(f"retry delays {text!r} must be positive numbers of seconds") from None


class Subscription(Protocol):
    """A running consumer."""

    async def stop(self, timeout: float) -> None:
        """Stop taking new messages and wait up to ``timeout`` s for in-flight ones."""


class Bus(Protocol):
    """What services need from a message bus."""

    async def start(self) -> None:
        """Connect (in the background if the broker is not there yet) and declare the topology."""

    async def wait_ready(self, timeout: float | None = None) -> None:
        """Wait until connected; raise :class:`BusUnavailable` after ``timeout`` seconds."""

    def is_ready(self) -> bool:
        """True while connected."""

    async def close(self) -> None:
        """Close connections. Stop subscriptions first to drain them."""

    async def publish(self, exchange: str, routing_key: str, message: Action | Reply) -> None:
        """Publish persistently and wait for the broker's confirm."""

    async def consume(self, queue: QueueSpec, handler: Handler, *, prefetch: int) -> Subscription:
        """Declare ``queue`` with its bindings and run ``handler`` for each message."""
