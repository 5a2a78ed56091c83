"""One runner for every worker kind: consume a queue, call ``handle(message, deps)``.

The runner owns everything a handler must not touch: the bus subscription, the pooled HTTP
session, and the drain on shutdown (stop taking messages, let in-flight ones finish, then
close). Each kind builds its own typed dependencies (:mod:`workers.deps`) from what the runner
opened.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import aiohttp
import structlog

from jeeves_shared.auth.startup import TokenRequest, wait_for_token
from jeeves_shared.bus import Bus
from jeeves_shared.bus.amqp import AmqpBus
from jeeves_shared.bus.topology import WORKER_QUEUES, QueueSpec
from jeeves_shared.dataclient import AUDIENCE as DATASERVICE_AUDIENCE
from jeeves_shared.messages import Action, Reply
from jeeves_shared.observability.tracing import handling, http_trace_configs
from workers import help, reminders, user, weather
from workers.deps import DataDeps, Deps, Resources, SchedulerDeps, UserDeps, WeatherDeps, utcnow
from workers.health import WorkerHealth, serve_health
from workers.scheduler import Scheduler
from workers.settings import WorkerSettings
from workers.slack import poster
from workers.slack.poster import PosterDeps

log = structlog.get_logger(__name__)

D = TypeVar("D", bound=Deps)
SCHEDULER = "scheduler"


def _prefetch(settings: WorkerSettings) -> int:
    return settings.prefetch


@dataclass(frozen=True)
class WorkerKind(Generic[D]):
    """A kind of worker: its name (``jeeves worker <name>``), its handler, and the class of the
    dependencies that handler takes, which builds them (mypy checks that the two agree)."""

    name: str
    handler: Callable[[Action | Reply, D], Awaitable[None]]
    deps: type[D]
    #: Unacknowledged messages one process of this kind holds at once.
    prefetch: Callable[[WorkerSettings], int] = _prefetch
    #: It cannot work without ``JEEVES_SLACK_BOT_TOKEN`` (``jeeves dev`` leaves it out then).
    needs_bot_token: bool = False

    @property
    def needs(self) -> frozenset[str]:
        """What it talks to besides RabbitMQ (:attr:`workers.deps.Deps.NEEDS`)."""
        return self.deps.NEEDS

    @property
    def scopes(self) -> tuple[str, ...]:
        """The Data Service scopes its token carries (:attr:`workers.deps.Deps.SCOPES`)."""
        return self.deps.SCOPES

    @property
    def queue(self) -> QueueSpec:
        """The durable queue this kind consumes."""
        return WORKER_QUEUES[self.name]


# Each kind is declared on its own (not inside the annotated dict below) so that mypy infers
# its dependencies type from the handler and the builder, and refuses a pair that disagree.
_HELP = WorkerKind("help", help.handle, Deps)
_WEATHER = WorkerKind("weather", weather.handle, WeatherDeps)
# The new weather worker, rolled out behind flag ``weather-worker`` (topology.ROLLOUTS). Its
# handler is where the new version's code goes; today it answers as ``weather`` does.
_WEATHER_V2 = WorkerKind("weather-v2", weather.handle, WeatherDeps)
_USER = WorkerKind("user", user.handle, UserDeps)
_REMINDERS = WorkerKind("reminders", reminders.handle, DataDeps)
_SLACK = WorkerKind("slack", poster.handle, PosterDeps, poster.prefetch, needs_bot_token=True)

KINDS: dict[str, WorkerKind[Any]] = {
    kind.name: kind for kind in (_HELP, _WEATHER, _WEATHER_V2, _USER, _REMINDERS, _SLACK)
}


async def serve_kind(
    kind: WorkerKind[D],
    settings: WorkerSettings,
    bus: Bus,
    stop: asyncio.Event,
    clock: Callable[[], datetime] = utcnow,
    *,
    health: WorkerHealth | None = None,
) -> None:
    """Consume ``kind``'s queue on ``bus`` until ``stop`` is set, then drain."""
    async with aiohttp.ClientSession(trace_configs=http_trace_configs()) as session:
        deps = kind.deps.build(Resources(settings, bus, session, clock))

        async def handler(message: Action | Reply) -> None:
            with handling(kind.name, message):
                await kind.handler(message, deps)

        subscription = await bus.consume(kind.queue, handler, prefetch=kind.prefetch(settings))
        if health is not None:
            health.serving = True
        log.info("worker.consuming", kind=kind.name, queue=kind.queue.name)
        await stop.wait()
        log.info("worker.draining", kind=kind.name, timeout=settings.drain_timeout)
        await subscription.stop(settings.drain_timeout)


async def serve_scheduler(
    settings: WorkerSettings,
    bus: Bus,
    stop: asyncio.Event,
    clock: Callable[[], datetime] = utcnow,
) -> None:
    """Run the scheduler on ``bus`` until ``stop`` is set."""
    async with aiohttp.ClientSession(trace_configs=http_trace_configs()) as session:
        deps = SchedulerDeps.build(Resources(settings, bus, session, clock))
        await Scheduler(deps, interval=settings.scheduler_interval).run(stop)


async def run_worker(name: str, settings: WorkerSettings, stop: asyncio.Event) -> None:
    """``jeeves worker <name>``: connect to RabbitMQ and run one worker until ``stop``."""
    bus = AmqpBus(
        settings.amqp_url.get_secret_value(),
        declare=WORKER_QUEUES.values(),
        retry=settings.retry_policy,
    )
    health = WorkerHealth(bus, stop)
    # The probes answer while the bus connects, and until everything else has stopped.
    async with serve_health(health, settings.worker_health_bind):
        # Unready, and taking no message, until the TokenDealer issues this worker's token.
        token = token_request(name, settings)
        if token is not None and not await wait_for_token(token, stop, health.report_token):
            return
        await bus.start()
        try:
            if await _first(bus.wait_ready(), stop.wait()):
                if name == SCHEDULER:
                    health.serving = True
                    await serve_scheduler(settings, bus, stop)
                else:
                    await serve_kind(KINDS[name], settings, bus, stop, health=health)
        finally:
            await bus.close()
            log.info("worker.stopped", kind=name)


def token_request(name: str, settings: WorkerSettings) -> TokenRequest | None:
    """The token worker kind ``name`` needs from the TokenDealer; None if it calls no service."""
    scopes = SchedulerDeps.SCOPES if name == SCHEDULER else KINDS[name].scopes
    if not scopes:
        return None
    return TokenRequest(
        token_url=f"{settings.tokendealer_url.rstrip('/')}/oauth/token",
        client_id=settings.worker_client_id,
        client_secret=settings.require_secret("worker_client_secret"),
        audience=DATASERVICE_AUDIENCE,
        scopes=scopes,
    )


async def _first(ready: Awaitable[None], stopping: Awaitable[bool]) -> bool:
    """Wait for the bus or for a stop request; True if the bus came first."""
    ready_task = asyncio.ensure_future(ready)
    stop_task = asyncio.ensure_future(stopping)
    done, pending = await asyncio.wait({ready_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    return ready_task in done and ready_task.exception() is None
