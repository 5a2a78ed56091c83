"""A private PostgreSQL server for the test session (and the benchmarks).

:func:`start_postgres` initialises a cluster in a temporary folder and starts it on 127.0.0.1 and
a free port; :meth:`PostgresServer.stop` stops it and deletes the folder. ``initdb`` refuses to
run as root, so as root every command runs as the ``postgres`` user through ``runuser``. The
binaries are looked up on ``PATH``, then in ``/usr/lib/postgresql/*/bin``; if absent (and we are
root) ``apt-get install postgresql`` provides them.

The pytest fixture :func:`postgres_server` starts one server per session; each test then gets
a fresh database with :meth:`PostgresServer.create_database`, cloned from a template.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest

from tests.support.installing import installing

USER = "app"
#: Durability off: tests need speed, not crash safety. The benchmark keeps the defaults.
FAST_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries could be found or installed."""


@dataclass
class PostgresServer:
    """A running server; ``url()`` gives SQLAlchemy URLs to its databases."""

    bin_dir: Path
    directory: Path
    port: int
    host: str = "127.0.0.1"

    def url(self, database: str = "postgres", driver: str = "postgresql+asyncpg") -> str:
        """The URL of ``database`` (``driver="postgresql"`` for a plain libpq/asyncpg DSN)."""
        return f"{driver}://{USER}@{self.host}:{self.port}/{database}"

    async def create_database(self, *, template: str | None = None) -> str:
        """Create a database with a fresh name (a copy of ``template``); return its name."""
        name = f"test_{uuid.uuid4().hex[:12]}"
        if template is None:
            await self.execute(f"CREATE DATABASE {name}")
            return name
        try:
            # FILE_COPY (PostgreSQL 15+) copies a small template ~6x faster than WAL_LOG.
            await self.execute(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")
        except asyncpg.PostgresSyntaxError:
            await self.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        return name

    async def drop_database(self, name: str) -> None:
        """Drop ``name``, disconnecting whoever is still connected."""
        await self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    async def execute(self, sql: str) -> None:
        """Run one statement outside a transaction on the ``postgres`` database."""
        conn = await asyncpg.connect(self.url(driver="postgresql"))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def stop(self) -> None:
        """Stop the server at once and delete its folder."""
        _run(
            self.bin_dir / "pg_ctl",
            "-D",
            str(self.directory / "data"),
            "-m",
            "immediate",
            "-w",
            "stop",
            check=False,
        )
        shutil.rmtree(self.directory, ignore_errors=True)


def start_postgres(*, options: str = FAST_OPTIONS) -> PostgresServer:
    """Initialise and start a private server; raise :class:`PostgresUnavailable` if impossible."""
    bin_dir = find_binaries()
    directory = Path(tempfile.mkdtemp(prefix="jeeves-pg-"))
    if _is_root():
        shutil.chown(directory, user="postgres", group="postgres")
    server = PostgresServer(bin_dir=bin_dir, directory=directory, port=free_port())
    data = str(directory / "data")
    try:
        _run(
            bin_dir / "initdb",
            "-D",
            data,
            "-U",
            USER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C",
        )
        settings = f"-c listen_addresses={server.host} -p {server.port} -k {directory} {options}"
        _run(
            bin_dir / "pg_ctl",
            "-D",
            data,
            "-w",
            "-t",
            "30",
            "-l",
            str(directory / "log"),
            "-o",
            settings,
            "start",
        )
    except subprocess.CalledProcessError as exc:
        log = (directory / "log").read_text() if (directory / "log").exists() else ""
        shutil.rmtree(directory, ignore_errors=True)
        raise PostgresUnavailable(f"PostgreSQL did not start: {exc.stderr}\n{log}") from exc
    return server


def find_binaries() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl``, installing PostgreSQL if needed."""
    found = _locate()
    if found is None and _is_root() and shutil.which("apt-get"):
        with installing():
            found = _locate()  # the other pytest worker may have installed it meanwhile
            if found is None:
                env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
                subprocess.run(
                    ["apt-get", "install", "-y", "postgresql"],
                    check=False,
                    env=env,
                    capture_output=True,
                )
                found = _locate()
    if found is None:
        raise PostgresUnavailable("initdb not found on PATH nor in /usr/lib/postgresql/*/bin")
    return found


def _locate() -> Path | None:
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version_key)
    return Path(candidates[-1]).parent if candidates else None


def _version_key(path: str) -> int:
    version = Path(path).parent.parent.name
    return int(version) if version.isdigit() else 0


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _is_root() -> bool:
    return os.geteuid() == 0


def _run(*command: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    args = [str(part) for part in command]
    if _is_root():
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, check=check, capture_output=True, text=True, cwd="/")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole test session; skips if none can be had."""
    try:
        server = start_postgres()
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.stop()
