"""Running Quart apps under Hypercorn, and stopping cleanly on SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio
import functools
import logging
import signal

import structlog
from hypercorn.asyncio.run import worker_serve
from hypercorn.config import Config, Sockets
from hypercorn.utils import wrap_app
from quart import Quart

from jeeves_shared.runtime.lifecycle import start_draining
from jeeves_shared.runtime.settings import CannotListen

log = structlog.get_logger(__name__)

#: Seconds Hypercorn gives in-flight requests once it stops accepting connections.
GRACEFUL_TIMEOUT = 20.0
#: Seconds Hypercorn keeps an idle connection open. It must outlast every client's own idle
#: timeout (aiohttp's connector keeps one 15 s): with Hypercorn's default 5 s, a client calling
#: every 5 s (the scheduler) reused a connection the server was closing at that instant, got
#: "connection reset" and had to retry each time. 75 s, as nginx's default.
KEEP_ALIVE_TIMEOUT = 75.0


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGTERM or SIGINT: the cue to drain and exit."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    return stop


async def serve_app(
    app: Quart,
    bind: str,
    stop: asyncio.Event,
    *,
    setting: str = "",
    grace: float = 0.0,
    graceful_timeout: float = GRACEFUL_TIMEOUT,
) -> None:
    """Serve ``app`` on ``bind`` (``host:port``) until ``stop`` is set, then drain and stop.

    ``setting`` names the variable ``bind`` came from. The socket is bound before the app
    starts anything, so a bind that cannot be used raises :class:`CannotListen` at once (the
    process exits with code 2) instead of leaving a half-started app behind.

    When ``stop`` is set the app turns unready (its ``/readyz`` answers 503) but goes on
    serving for ``grace`` seconds, so that load balancers stop sending it requests first; then
    Hypercorn stops accepting and gives in-flight requests ``graceful_timeout`` seconds.
    """
    config = Config()
    config.bind = [bind]
    config.graceful_timeout = graceful_timeout
    config.keep_alive_timeout = KEEP_ALIVE_TIMEOUT
    config.accesslog = None
    config.errorlog = logging.getLogger("hypercorn.error")
    sockets = listen(config, setting)
    trigger = functools.partial(_drain_after, app, stop, bind=bind, grace=grace)
    # hypercorn.asyncio.serve binds only after the app's startup ran (and hangs when that
    # fails); its worker_serve takes sockets bound beforehand, as Hypercorn's own runner does.
    await worker_serve(
        wrap_app(app, config.wsgi_max_body_size, None),
        config,
        sockets=sockets,
        shutdown_trigger=trigger,
    )


def listen(config: Config, setting: str) -> Sockets:
    """Bind ``config``'s sockets; raise :class:`CannotListen` naming ``setting`` if we cannot."""
    try:
        return config.create_sockets()
    except OSError as exc:
        raise CannotListen(config.bind[0], setting, exc) from None


async def _drain_after(app: Quart, stop: asyncio.Event, *, bind: str, grace: float) -> None:
    """Hypercorn's shutdown trigger: mark ``app`` draining on ``stop``, return after ``grace``."""
    await stop.wait()
    start_draining(app)
    log.info("serving.draining", bind=bind, grace=grace)
    await asyncio.sleep(grace)
