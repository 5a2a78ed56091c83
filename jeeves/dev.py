"""``jeeves dev``: every service in one process over the in-memory bus, with a chat page."""

from __future__ import annotations

import asyncio

import structlog

from jeeves.serving import serve_app
from jeeves_frontend.app import create_app
from jeeves_frontend.devchat import ChatLog
from jeeves_frontend.settings import FrontendSettings
from jeeves_shared.memory_bus import MemoryBus
from jeeves_shared.settings import Environment, is_placeholder
from jeeves_shared.topology import DEVCHAT_QUEUE, WORKER_QUEUES
from workers.runner import KINDS, serve_kind
from workers.settings import WorkerSettings

log = structlog.get_logger(__name__)


async def run_dev(stop: asyncio.Event) -> None:
    """Run the front door, the chat page and the workers until ``stop`` is set."""
    frontend_settings = FrontendSettings(env=Environment.DEV)
    worker_settings = WorkerSettings(env=Environment.DEV)
    bus = MemoryBus((*WORKER_QUEUES.values(), DEVCHAT_QUEUE))
    chat = ChatLog()
    app = create_app(frontend_settings, bus=bus, chat=chat)
    chat_subscription = await bus.consume(DEVCHAT_QUEUE, chat.deliver, prefetch=16)
    kinds = [kind for kind in KINDS.values() if _can_run(kind.needs_slack, worker_settings)]
    tasks = [serve_kind(kind, worker_settings, bus, stop) for kind in kinds]
    log.info(
        "dev.started",
        chat=f"http://{frontend_settings.frontend_bind}/",
        workers=[kind.name for kind in kinds],
    )
    try:
        await asyncio.gather(serve_app(app, frontend_settings.frontend_bind, stop), *tasks)
    finally:
        await chat_subscription.stop(timeout=1)


def _can_run(needs_slack: bool, settings: WorkerSettings) -> bool:
    if needs_slack and is_placeholder(settings.slack_bot_token.get_secret_value()):
        log.info("dev.slack_off", reason="JEEVES_SLACK_BOT_TOKEN not set: replies stay local")
        return False
    return True
