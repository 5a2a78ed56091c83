"""``/healthz``, ``/readyz`` and ``/metrics`` of one worker process, for Kubernetes and
Prometheus.

Workers serve no HTTP, so the probes get a tiny aiohttp server of their own, on
``JEEVES_WORKER_HEALTH_BIND``. ``/healthz`` answers while the event loop runs; ``/readyz`` is 200
only while the bus is connected and the worker consumes its queue (or the scheduler runs), and
503 while it starts, while it cannot get its access token, while the broker is away, and once
it drains after SIGTERM. ``/metrics`` is the process's Prometheus metrics
(:mod:`jeeves_shared.observability.metrics`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import structlog
from aiohttp import web

from jeeves_shared.bus import Bus
from jeeves_shared.observability.metrics import CONTENT_TYPE, exposition
from jeeves_shared.runtime.health import OK, readiness
from jeeves_shared.runtime.settings import CannotListen, parse_bind

log = structlog.get_logger(__name__)

#: Seconds the server waits for a probe in progress when it stops.
SHUTDOWN_TIMEOUT = 1.0


class WorkerHealth:
    """What a worker's probes report: its bus, whether it serves yet, and its stop event."""

    def __init__(self, bus: Bus, stop: asyncio.Event) -> None:
        self._bus = bus
        self._stop = stop
        #: Set once the worker consumes its queue (or the scheduler runs).
        self.serving = False
        #: ``ok``, or why the worker cannot get its access token; None: it needs none.
        self.token: str | None = None

    def report_token(self, problem: str | None) -> None:
        """Record why the worker cannot get its token (``/readyz``); None once it has one."""
        self.token = problem or OK

    def readiness(self) -> tuple[int, dict[str, Any]]:
        """The status code and body of ``/readyz`` (:func:`jeeves_shared.runtime.health.readiness`).

        Checks: ``token`` (the TokenDealer issues this worker's token) and, once the worker
        serves, ``broker`` (connected; a robust connection may be restoring itself).
        """
        checks = {} if self.token is None else {"token": self.token}
        if self.serving:
            checks["broker"] = OK if self._bus.is_ready() else "not connected"
        return readiness(checks, starting=not self.serving, draining=self._stop.is_set())


HEALTH = web.AppKey("health", WorkerHealth)


def create_health_app(health: WorkerHealth) -> web.Application:
    """The aiohttp app answering ``/healthz`` and ``/readyz`` from ``health``, and
    ``/metrics``."""
    app = web.Application()
    app[HEALTH] = health
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app


async def healthz(request: web.Request) -> web.Response:
    """Alive: the event loop answers."""
    return web.json_response({"status": "ok"})


async def metrics(request: web.Request) -> web.Response:
    """This process's metrics, in the Prometheus text format."""
    return web.Response(body=exposition(), headers={"Content-Type": CONTENT_TYPE})


async def readyz(request: web.Request) -> web.Response:
    """Ready: connected and consuming, and not shutting down."""
    status, body = request.app[HEALTH].readiness()
    return web.json_response(body, status=status)


@contextlib.asynccontextmanager
async def serve_health(health: WorkerHealth, bind: str) -> AsyncIterator[None]:
    """Answer probes on ``bind`` (``host:port``) while the context lasts; nothing if empty."""
    if not bind:
        yield
        return
    host, port = parse_bind(bind)
    app = create_health_app(health)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            raise CannotListen(bind, "JEEVES_WORKER_HEALTH_BIND", exc) from None
        log.info("worker.health_listening", bind=bind)
        yield
    finally:
        await runner.cleanup()
