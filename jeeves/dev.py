"""``jeeves dev``: every service in one process over the in-memory bus, with a chat page.

The front door (with the chat page), the TokenDealer and the Data Service are served by
Hypercorn on their usual binds; the Data Service trusts the in-process TokenDealer's throwaway
key, and its SQLite file is migrated before it serves. Worker kinds run as tasks on the same
event loop, consuming the in-memory bus.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

import structlog

from dataservice.app import create_app as create_dataservice
from dataservice.migrate import upgrade
from dataservice.models import utcnow
from dataservice.settings import DataServiceSettings
from jeeves.serving import serve_app
from jeeves_frontend.app import create_app as create_frontend
from jeeves_frontend.devchat import ChatLog
from jeeves_frontend.settings import FrontendSettings
from jeeves_shared.auth import StaticJwksSource, TokenVerifier
from jeeves_shared.bus.memory import MemoryBus
from jeeves_shared.bus.topology import DEVCHAT_QUEUE, WORKER_QUEUES
from jeeves_shared.runtime.settings import CannotListen, Environment, is_placeholder
from tokendealer.app import create_app as create_tokendealer
from tokendealer.clients import DEV_CLIENT_ID, DEV_CLIENT_SECRET
from tokendealer.settings import TokenDealerSettings
from workers.runner import KINDS, WorkerKind, serve_kind, serve_scheduler
from workers.settings import WorkerSettings

log = structlog.get_logger(__name__)

DEV = Environment.DEV


async def run_dev(stop: asyncio.Event) -> None:
    """Run every service and worker kind until ``stop`` is set."""
    bus = MemoryBus((*WORKER_QUEUES.values(), DEVCHAT_QUEUE))
    chat = ChatLog()
    frontend_settings = FrontendSettings(
        env=DEV, frontend_client_id=DEV_CLIENT_ID, frontend_client_secret=DEV_CLIENT_SECRET
    )
    worker_settings = WorkerSettings(
        env=DEV, worker_client_id=DEV_CLIENT_ID, worker_client_secret=DEV_CLIENT_SECRET
    )
    servers = [
        serve_app(
            create_frontend(frontend_settings, bus=bus, chat=chat),
            frontend_settings.frontend_bind,
            stop,
            setting="JEEVES_FRONTEND_BIND",
        ),
        *await data_services(stop, TokenDealerSettings(env=DEV), DataServiceSettings(env=DEV)),
    ]
    chat_subscription = await bus.consume(DEVCHAT_QUEUE, chat.deliver, prefetch=16)
    kinds = [kind for kind in KINDS.values() if _can_run(kind, worker_settings)]
    workers = [serve_kind(kind, worker_settings, bus, stop) for kind in kinds]
    workers.append(serve_scheduler(worker_settings, bus, stop))
    if not worker_settings.weather_api_key.get_secret_value().strip():
        log.warning(
            "dev.weather_off",
            reason="JEEVES_WEATHER_API_KEY not set: `weather` and daily alerts only apologise",
        )
    log.info(
        "dev.started",
        chat=f"http://{frontend_settings.frontend_bind}/",
        dashboard=f"http://{frontend_settings.frontend_bind}/dashboard",
        workers=[kind.name for kind in kinds],
    )
    try:
        # A task group, so that one server failing to listen stops the others at once.
        async with asyncio.TaskGroup() as group:
            for task in (*servers, *workers, _close_on(stop, chat)):
                group.create_task(task)
    except* CannotListen as failed:
        raise failed.exceptions[0] from None
    finally:
        await chat_subscription.stop(timeout=1)


async def data_services(
    stop: asyncio.Event,
    dealer_settings: TokenDealerSettings,
    data_settings: DataServiceSettings,
    clock: Callable[[], datetime] = utcnow,
) -> list[Coroutine[Any, Any, None]]:
    """Serving the TokenDealer and the Data Service, which trusts the dealer's keys.

    The Data Service's database is migrated first; ``clock`` is its idea of now.
    """
    dealer = create_tokendealer(dealer_settings)
    await upgrade(data_settings.database_url.get_secret_value())
    verifier = TokenVerifier(
        StaticJwksSource(dealer.extensions["tokendealer"].keys.jwks()),
        audience=data_settings.dataservice_jwt_audience,
        issuer=dealer_settings.tokendealer_issuer,
    )
    data = create_dataservice(data_settings, verifier=verifier, clock=clock)
    return [
        serve_app(
            dealer, dealer_settings.tokendealer_bind, stop, setting="JEEVES_TOKENDEALER_BIND"
        ),
        serve_app(data, data_settings.dataservice_bind, stop, setting="JEEVES_DATASERVICE_BIND"),
    ]


async def _close_on(stop: asyncio.Event, chat: ChatLog) -> None:
    """Let the chat page's long polls go when ``jeeves dev`` stops (they would delay it)."""
    await stop.wait()
    await chat.close()


def _can_run(kind: WorkerKind[Any], settings: WorkerSettings) -> bool:
    if kind.needs_bot_token and is_placeholder(settings.slack_bot_token.get_secret_value()):
        log.info("dev.slack_off", reason="JEEVES_SLACK_BOT_TOKEN not set: replies stay local")
        return False
    return True
