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
from datetime import datetime

import aiohttp
import structlog
from slack_sdk.web.async_client import AsyncWebClient

from jeeves_shared.auth.client import TokenClient
from jeeves_shared.auth.startup import TokenRequest, wait_for_token
from jeeves_shared.bus import Bus
from jeeves_shared.bus.amqp import AmqpBus
from jeeves_shared.bus.topology import WORKER_QUEUES, QueueSpec
from jeeves_shared.claims import ReplyClaims
from jeeves_shared.dataclient import AUDIENCE as DATASERVICE_AUDIENCE
from jeeves_shared.dataclient import SCHEDULER_SCOPES, WORKER_SCOPES, DataServiceClient
from jeeves_shared.messages import Action, Reply
from jeeves_shared.runtime.settings import is_placeholder
from workers import help, reminders, slack_poster, user, weather
from workers.deps import Deps, utcnow
from workers.health import WorkerHealth, serve_health
from workers.scheduler import Scheduler
from workers.settings import WorkerSettings
from workers.weather_api import WeatherClient

log = structlog.get_logger(__name__)

KindHandler = Callable[[Action | Reply, Deps], Awaitable[None]]
SCHEDULER = "scheduler"


@dataclass(frozen=True)
class WorkerKind:
    """A kind of worker: its name (``jeeves worker <name>``), handler and what it needs."""

    name: str
    handler: KindHandler
    #: Clients to build for it: ``slack``, ``data`` (Data Service), ``claims`` (batched leased
    #: claims, with ``data``), ``weather``; and ``slack-lookup``: a Slack client if a bot token
    #: is configured (for read-only lookups).
    needs: frozenset[str] = frozenset()
    #: The Data Service scopes its client asks the TokenDealer for.
    scopes: tuple[str, ...] = WORKER_SCOPES

    @property
    def queue(self) -> QueueSpec:
        """The durable queue this kind consumes."""
        return WORKER_QUEUES[self.name]


KINDS: dict[str, WorkerKind] = {
    "help": WorkerKind("help", help.handle),
    "weather": WorkerKind("weather", weather.handle, frozenset({"data", "weather"})),
    # ``weather``: only to warn that alerts cannot be delivered without a key.
    "user": WorkerKind("user", user.handle, frozenset({"data", "slack-lookup", "weather"})),
    "reminders": WorkerKind("reminders", reminders.handle, frozenset({"data"})),
    "slack": WorkerKind(
        "slack",
        slack_poster.handle,
        frozenset({"slack", "data", "claims"}),
        slack_poster.POSTER_SCOPES,
    ),
}


@contextlib.asynccontextmanager
async def open_deps(
    kind: WorkerKind,
    settings: WorkerSettings,
    bus: Bus,
    clock: Callable[[], datetime] = utcnow,
) -> AsyncIterator[Deps]:
    """The clients ``kind`` needs, on one pooled HTTP session, open while the context lasts."""
    needs = kind.needs
    async with aiohttp.ClientSession() as session:
        data = data_client(settings, session, kind.scopes) if "data" in needs else None
        claims = None
        if data is not None and "claims" in needs:
            claims = ReplyClaims(data, lease_seconds=slack_poster.LEASE_SECONDS)
        yield Deps(
            bus=bus,
            http=session,
            slack=(
                _slack_client(settings, session, resend="slack" not in needs)
                if _wants_slack(needs, settings)
                else None
            ),
            data=data,
            claims=claims,
            weather=_weather_client(settings, session) if "weather" in needs else None,
            dashboard_url=settings.dashboard_url,
            response_url_prefix=settings.slack_response_url_prefix,
            clock=clock,
        )


def _wants_slack(needs: frozenset[str], settings: WorkerSettings) -> bool:
    configured = not is_placeholder(settings.slack_bot_token.get_secret_value())
    return "slack" in needs or ("slack-lookup" in needs and configured)


def _slack_client(
    settings: WorkerSettings, session: aiohttp.ClientSession, *, resend: bool
) -> AsyncWebClient:
    return slack_poster.make_slack_client(
        settings.require_secret("slack_bot_token"),
        base_url=settings.slack_api_url,
        session=session,
        max_retries=settings.slack_max_retries,
        resend=resend,
    )


def data_client(
    settings: WorkerSettings,
    session: aiohttp.ClientSession,
    scopes: tuple[str, ...] = WORKER_SCOPES,
) -> DataServiceClient:
    """A Data Service client authenticated by the workers' TokenDealer client."""
    tokens = TokenClient(
        session,
        token_url=f"{settings.tokendealer_url.rstrip('/')}/oauth/token",
        client_id=settings.worker_client_id,
        client_secret=settings.require_secret("worker_client_secret"),
    )
    return DataServiceClient.from_token_client(
        session, settings.dataservice_url, tokens, scopes=scopes
    )


def _weather_client(settings: WorkerSettings, session: aiohttp.ClientSession) -> WeatherClient:
    key = settings.weather_api_key.get_secret_value().strip()
    return WeatherClient(session, base_url=settings.weather_api_url, api_key=key or None)


async def serve_kind(
    kind: WorkerKind,
    settings: WorkerSettings,
    bus: Bus,
    stop: asyncio.Event,
    clock: Callable[[], datetime] = utcnow,
    *,
    health: WorkerHealth | None = None,
) -> None:
    """Consume ``kind``'s queue on ``bus`` until ``stop`` is set, then drain."""
    async with open_deps(kind, settings, bus, clock) as deps:
        handler = functools.partial(_call, kind.handler, deps)
        prefetch = settings.slack_prefetch if "claims" in kind.needs else settings.prefetch
        subscription = await bus.consume(kind.queue, handler, prefetch=prefetch)
        if health is not None:
            health.serving = True
        log.info("worker.consuming", kind=kind.name, queue=kind.queue.name)
        await stop.wait()
        log.info("worker.draining", kind=kind.name, timeout=settings.drain_timeout)
        await subscription.stop(settings.drain_timeout)


async def _call(handler: KindHandler, deps: Deps, message: Action | Reply) -> None:
    await handler(message, deps)


async def serve_scheduler(
    settings: WorkerSettings,
    bus: Bus,
    stop: asyncio.Event,
    clock: Callable[[], datetime] = utcnow,
) -> None:
    """Run the scheduler on ``bus`` until ``stop`` is set."""
    async with aiohttp.ClientSession() as session:
        data = data_client(settings, session, SCHEDULER_SCOPES)
        deps = Deps(bus=bus, http=session, data=data, clock=clock)
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
    if name == SCHEDULER:
        scopes: tuple[str, ...] = SCHEDULER_SCOPES
    elif "data" in KINDS[name].needs:
        scopes = KINDS[name].scopes
    else:
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
