"""One runner for every worker kind: consume a queue, call ``handle(message, deps)``.

The runner owns everything a handler must not touch: the bus subscription, the pooled HTTP
session, the Slack client, and the drain on shutdown (stop taking messages, let in-flight ones
finish, then close).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import structlog

from jeeves_shared.amqp import AmqpBus
from jeeves_shared.bus import Bus
from jeeves_shared.messages import Action, Reply
from jeeves_shared.topology import WORKER_QUEUES, QueueSpec
from workers import help, slack_poster
from workers.deps import Deps
from workers.settings import WorkerSettings

log = structlog.get_logger(__name__)

KindHandler = Callable[[Action | Reply, Deps], Awaitable[None]]


@dataclass(frozen=True)
class WorkerKind:
    """A kind of worker: its name (``jeeves worker <name>``), handler and needs."""

    name: str
    handler: KindHandler
    needs_slack: bool = False

    @property
    def queue(self) -> QueueSpec:
        """The durable queue this kind consumes."""
        return WORKER_QUEUES[self.name]


KINDS: dict[str, WorkerKind] = {
    "help": WorkerKind("help", help.handle),
    "slack": WorkerKind("slack", slack_poster.handle, needs_slack=True),
}


@contextlib.asynccontextmanager
async def open_deps(kind: WorkerKind, settings: WorkerSettings, bus: Bus) -> AsyncIterator[Deps]:
    """The dependencies of ``kind``, open for as long as the context lasts."""
    if not kind.needs_slack:
        yield Deps(bus=bus)
        return
    token = settings.require_secret("slack_bot_token")
    async with aiohttp.ClientSession() as session:
        slack = slack_poster.make_slack_client(
            token,
            base_url=settings.slack_api_url,
            session=session,
            max_retries=settings.slack_max_retries,
        )
        yield Deps(bus=bus, slack=slack)


async def serve_kind(
    kind: WorkerKind, settings: WorkerSettings, bus: Bus, stop: asyncio.Event
) -> None:
    """Consume ``kind``'s queue on ``bus`` until ``stop`` is set, then drain."""
    async with open_deps(kind, settings, bus) as deps:
        handler = functools.partial(_call, kind.handler, deps)
        subscription = await bus.consume(kind.queue, handler, prefetch=settings.prefetch)
        log.info("worker.consuming", kind=kind.name, queue=kind.queue.name)
        await stop.wait()
        log.info("worker.draining", kind=kind.name, timeout=settings.drain_timeout)
        await subscription.stop(settings.drain_timeout)


async def _call(handler: KindHandler, deps: Deps, message: Action | Reply) -> None:
    await handler(message, deps)


async def run_worker(name: str, settings: WorkerSettings, stop: asyncio.Event) -> None:
    """``jeeves worker <name>``: connect to RabbitMQ and serve one worker kind until ``stop``."""
    kind = KINDS[name]
    bus = AmqpBus(settings.amqp_url.get_secret_value(), declare=WORKER_QUEUES.values())
    await bus.start()
    try:
        if await _first(bus.wait_ready(), stop.wait()):
            await serve_kind(kind, settings, bus, stop)
    finally:
        await bus.close()
        log.info("worker.stopped", kind=name)


async def _first(ready: Awaitable[None], stopping: Awaitable[bool]) -> bool:
    """Wait for the bus or for a stop request; True if the bus came first."""
    ready_task = asyncio.ensure_future(ready)
    stop_task = asyncio.ensure_future(stopping)
    done, pending = await asyncio.wait({ready_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    return ready_task in done and ready_task.exception() is None
