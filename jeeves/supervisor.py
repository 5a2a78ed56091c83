"""``jeeves up``: the real topology on one machine, each service and worker its own process.

The command checks every process's settings before calling :func:`supervise`
(:mod:`jeeves.config`). It first brings the database up to date (``jeeves db upgrade``).
Children are ``python -m jeeves serve <service>`` and ``python -m jeeves worker <kind>``. A
child that dies is restarted with a growing delay, except one that exits with code 2: its
configuration is wrong, and restarting cannot fix that, so every child is stopped and ``jeeves
up`` exits with code 2. SIGTERM or Ctrl-C is passed on to every child, which drains, and
children that outlive the grace period are killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys

import structlog

log = structlog.get_logger(__name__)

#: The processes of ``jeeves up``.
PROCESSES: tuple[tuple[str, ...], ...] = (
    ("serve", "tokendealer"),
    ("serve", "dataservice"),
    ("serve", "frontend"),
    ("worker", "help"),
    ("worker", "weather"),
    ("worker", "user"),
    ("worker", "reminders"),
    ("worker", "scheduler"),
    ("worker", "slack"),
)


def up_processes() -> tuple[tuple[str, ...], ...]:
    """The processes of ``jeeves up``: :data:`PROCESSES`, plus the worker kind of each new
    version that ``JEEVES_FLAGS`` names in its rollout (at any share, 0 % included, so that on
    a rollback it still drains its queue; docs/observability.md).

    With unreadable front door settings it is :data:`PROCESSES`: the front door's own
    configuration check reports the problem.
    """
    from pydantic import ValidationError

    from jeeves_frontend.settings import FrontendSettings
    from jeeves_shared.bus.topology import ROLLOUTS

    try:
        rules = FrontendSettings().flag_rules()
    except ValidationError:
        return PROCESSES
    extra = [
        ("worker", kind)
        for rollout in ROLLOUTS.values()
        if rollout.flag in rules
        for variant, kind in rollout.versions.items()
        if variant in rules[rollout.flag].variants
    ]
    return (*PROCESSES, *extra)


#: A child that ran this long before dying restarts after the shortest delay again.
HEALTHY_RUN = 60.0
#: How long children get to drain after SIGTERM before they are killed.
GRACE_PERIOD = 30.0
#: The exit code of a process whose configuration is wrong (``jeeves`` uses it throughout).
CONFIGURATION_ERROR = 2


async def supervise(stop: asyncio.Event, processes: tuple[tuple[str, ...], ...] = PROCESSES) -> int:
    """Migrate the database, then keep every process running until ``stop`` is set.

    Returns the exit code of ``jeeves up``: 0 after a requested stop, the migration's code if
    it failed, 2 if a child reported bad configuration (then every other child is stopped).
    """
    migrate = await asyncio.create_subprocess_exec(sys.executable, "-m", "jeeves", "db", "upgrade")
    migrated = asyncio.ensure_future(migrate.wait())
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({migrated, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if stop.is_set():  # SIGTERM is honoured even while a migration waits on a slow database
        await _terminate(migrate, "db upgrade")
        return 0
    if migrate.returncode != 0:
        log.error("up.migration_failed", code=migrate.returncode)
        return migrate.returncode or 1
    misconfigured: list[str] = []
    await asyncio.gather(*(_keep_running(args, stop, misconfigured) for args in processes))
    return CONFIGURATION_ERROR if misconfigured else 0


async def _keep_running(
    args: tuple[str, ...], stop: asyncio.Event, misconfigured: list[str]
) -> None:
    delay = 1.0
    name = " ".join(args)
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        started = loop.time()
        child = await asyncio.create_subprocess_exec(sys.executable, "-m", "jeeves", *args)
        log.info("up.started", process=name, pid=child.pid)
        exited = asyncio.ensure_future(child.wait())
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if stop.is_set():
            await _terminate(child, name)
            exited.cancel()
            return
        stopping.cancel()
        if child.returncode == CONFIGURATION_ERROR:
            # Its own stderr line said what to change; restarting would repeat it forever.
            log.error("up.misconfigured", process=name, code=child.returncode, restart=False)
            misconfigured.append(name)
            stop.set()
            return
        if loop.time() - started > HEALTHY_RUN:
            delay = 1.0  # it ran fine for a while: this is a new failure, not a crash loop
        log.error("up.exited", process=name, code=child.returncode, restart_in=delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        delay = min(delay * 2, 30.0)


async def _terminate(child: asyncio.subprocess.Process, name: str) -> None:
    if child.returncode is not None:
        return
    child.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(child.wait(), GRACE_PERIOD)
    except TimeoutError:
        log.warning("up.killed", process=name)
        child.kill()
        await child.wait()
    log.info("up.stopped", process=name, code=child.returncode)
