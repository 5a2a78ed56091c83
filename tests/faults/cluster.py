"""Jeeves as ``jeeves up`` runs it, one OS process per service, for the fault suite.

Each :class:`Proc` can be crashed (SIGKILL), stopped (SIGTERM, and must exit 0) and started
again on the same ports, so a scenario can break exactly one piece and watch the rest cope.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from tests.support.http import wait_until_ready
from tests.support.production import production_env
from tests.support.rabbitmq import free_port
from tests.support.slack_requests import SIGNING_SECRET


@dataclass
class Proc:
    """One ``jeeves`` process; its output goes to ``<folder>/<name>.log``."""

    name: str
    args: tuple[str, ...]
    env: dict[str, str]
    folder: Path
    #: Its ``/readyz`` (HTTP services and workers with a health port).
    ready_url: str
    process: asyncio.subprocess.Process | None = None
    exit_codes: list[int] = field(default_factory=list)

    async def start(self) -> None:
        """Start it (again); return at once."""
        log = (self.folder / f"{self.name}.log").open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "jeeves",
            *self.args,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=log,
        )
        log.close()

    async def ready(self, session: aiohttp.ClientSession, timeout: float = 60) -> None:
        """Wait until its ``/readyz`` answers 200."""
        await wait_until_ready(session, self.ready_url, timeout)

    async def kill(self) -> None:
        """Crash it: SIGKILL, no drain."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            self.exit_codes.append(await self.process.wait())

    async def terminate(self, timeout: float = 60) -> int:
        """SIGTERM, as Kubernetes or an operator would; its exit code."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), timeout)
        self.exit_codes.append(code)
        return code

    def log_tail(self, chars: int = 3000) -> str:
        """The end of its output, for a failure message."""
        path = self.folder / f"{self.name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""


class Cluster:
    """TokenDealer, Data Service, front doors, the help worker and the Slack poster."""

    def __init__(
        self,
        folder: Path,
        amqp_url: str,
        slack_api_url: str,
        *,
        fronts: int,
        settings: Callable[[dict[str, str]], dict[str, str]] | None = None,
    ) -> None:
        self.folder = folder
        self.env = {
            **production_env(folder),
            "JEEVES_AMQP_URL": amqp_url,
            "JEEVES_SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "JEEVES_SLACK_BOT_TOKEN": "xoxb-faults",
            "JEEVES_SLACK_API_URL": slack_api_url,
            "JEEVES_LOG_LEVEL": "INFO",
        }
        if settings is not None:  # a scenario's own settings (from the base ones), for all
            self.env.update(settings(self.env))
        self.procs: dict[str, Proc] = {}
        self._add("tokendealer", ("serve", "tokendealer"), self.env["JEEVES_TOKENDEALER_BIND"])
        self._add("dataservice", ("serve", "dataservice"), self.env["JEEVES_DATASERVICE_BIND"])
        self.front_urls: list[str] = []
        for n in range(fronts):
            bind = f"127.0.0.1:{free_port()}"
            self._add(f"front{n}", ("serve", "frontend"), bind, JEEVES_FRONTEND_BIND=bind)
            self.front_urls.append(f"http://{bind}")
        for kind in ("help", "slack"):
            bind = f"127.0.0.1:{free_port()}"
            self._add(kind, ("worker", kind), bind, JEEVES_WORKER_HEALTH_BIND=bind)

    def _add(self, name: str, args: tuple[str, ...], bind: str, **env: str) -> None:
        self.procs[name] = Proc(
            name, args, {**self.env, **env}, self.folder, f"http://{bind}/readyz"
        )

    @property
    def workers(self) -> list[Proc]:
        """The worker processes."""
        return [self.procs["help"], self.procs["slack"]]

    async def start(self, session: aiohttp.ClientSession) -> None:
        """Migrate the database, start everything, wait until every process is ready."""
        migrate = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "jeeves", "db", "upgrade", env={**os.environ, **self.env}
        )
        assert await migrate.wait() == 0
        await self.start_procs(session, *self.procs.values())

    async def start_procs(self, session: aiohttp.ClientSession, *procs: Proc) -> None:
        """Start ``procs`` and wait until they are ready."""
        for proc in procs:
            await proc.start()
        await asyncio.gather(*(proc.ready(session) for proc in procs))

    async def stop(self) -> dict[str, list[int]]:
        """SIGTERM everything (workers first); every exit code each process ever had."""
        order = [*self.workers, *(p for p in self.procs.values() if p not in self.workers)]
        for proc in order:
            if proc.process is not None and proc.process.returncode is None:
                await proc.terminate()
        return {name: proc.exit_codes for name, proc in self.procs.items()}

    async def kill_all(self) -> None:
        """Crash everything (cleanup after a failed scenario)."""
        for proc in self.procs.values():
            await proc.kill()

    def logs(self) -> str:
        """The tail of every process's output."""
        return "\n".join(f"--- {p.name}\n{p.log_tail()}" for p in self.procs.values())
