"""Running Quart apps under Hypercorn, and stopping cleanly on SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio
import logging
import signal

from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGTERM or SIGINT: the cue to drain and exit."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    return stop


async def serve_app(
    app: Quart, bind: str, stop: asyncio.Event, *, graceful_timeout: float = 20.0
) -> None:
    """Serve ``app`` on ``bind`` (``host:port``) until ``stop`` is set, then drain and stop."""
    config = Config()
    config.bind = [bind]
    config.graceful_timeout = graceful_timeout
    config.accesslog = None
    config.errorlog = logging.getLogger("hypercorn.error")
    await serve(app, config, shutdown_trigger=stop.wait)
