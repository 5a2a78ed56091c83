"""The ``jeeves`` command line: ``dev``, ``up``, ``serve <service>``, ``worker <kind>``."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from jeeves_shared.runtime.logs import configure_logging
from jeeves_shared.runtime.settings import JeevesSettings, SettingsError

#: ``jeeves serve <name>``: the module with ``create_app`` and its settings class and bind field.
SERVICES: dict[str, tuple[str, str, str]] = {
    "frontend": (
        "jeeves_frontend.app",
        "jeeves_frontend.settings:FrontendSettings",
        "frontend_bind",
    ),
    "dataservice": (
        "dataservice.app",
        "dataservice.settings:DataServiceSettings",
        "dataservice_bind",
    ),
    "tokendealer": (
        "tokendealer.app",
        "tokendealer.settings:TokenDealerSettings",
        "tokendealer_bind",
    ),
}
WORKER_KINDS = ("help", "weather", "user", "reminders", "slack", "scheduler")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``jeeves``."""
    parser = argparse.ArgumentParser(prog="jeeves", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("dev", help="everything in one process, with a local chat page")
    commands.add_parser("up", help="every service and worker as its own process (RabbitMQ)")
    serve = commands.add_parser("serve", help="run one HTTP service under Hypercorn")
    serve.add_argument("service", choices=sorted(SERVICES))
    worker = commands.add_parser("worker", help="run one worker kind")
    worker.add_argument("kind", choices=WORKER_KINDS)
    database = commands.add_parser("db", help="the Data Service's database")
    database_commands = database.add_subparsers(dest="action", required=True)
    migrate = database_commands.add_parser("upgrade", help="apply migrations (JEEVES_DATABASE_URL)")
    migrate.add_argument("revision", nargs="?", default="head")
    dlq = commands.add_parser("dlq", help="the dead-letter queue (JEEVES_AMQP_URL)")
    dlq_commands = dlq.add_subparsers(dest="action", required=True)
    dlq_list = dlq_commands.add_parser("list", help="show dead letters and why (takes nothing)")
    dlq_list.add_argument("--limit", type=int, default=100, help="show at most this many")
    dlq_list.add_argument("--json", action="store_true", help="one JSON object per line")
    replay = dlq_commands.add_parser("replay", help="send dead letters back to their queues")
    replay.add_argument(
        "--id", dest="ids", action="append", default=[], help="only this message id (repeatable)"
    )
    dealer = commands.add_parser("tokendealer", help="TokenDealer keys and client secrets")
    dealer_commands = dealer.add_subparsers(dest="action", required=True)
    new_key = dealer_commands.add_parser("new-key", help="write a new signing key (PEM, 0600)")
    new_key.add_argument("path", type=Path)
    dealer_commands.add_parser(
        "hash-secret", help="hash a client secret read from stdin (a new one if stdin is empty)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``jeeves`` command."""
    args = build_parser().parse_args(argv)
    if args.command == "tokendealer":
        return _tokendealer(args)
    try:
        base = JeevesSettings()
    except ValidationError as exc:
        print(f"jeeves: invalid settings:\n{exc}", file=sys.stderr)
        return 2
    # A newcomer running ``jeeves dev`` reads logs, not log pipelines.
    explicit = "JEEVES_LOG_FORMAT" in os.environ
    fmt = "console" if args.command == "dev" and not explicit else base.log_format
    configure_logging(base.log_level, fmt)
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            return runner.run(_run(args))
    except (SettingsError, ValidationError) as exc:
        print(f"jeeves: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop (faster sockets), unless ``JEEVES_EVENT_LOOP=asyncio``."""
    if os.environ.get("JEEVES_EVENT_LOOP", "uvloop") == "asyncio":
        return None
    import uvloop

    return uvloop.new_event_loop


async def _run(args: argparse.Namespace) -> int:
    from jeeves.serving import stop_on_signals

    stop = stop_on_signals()
    runner = _RUNNERS[args.command]
    code = await runner(args, stop)
    return code or 0


async def _dev(args: argparse.Namespace, stop: asyncio.Event) -> None:
    from jeeves.dev import run_dev

    await run_dev(stop)


async def _up(args: argparse.Namespace, stop: asyncio.Event) -> None:
    from jeeves.supervisor import supervise

    await supervise(stop)


async def _serve(args: argparse.Namespace, stop: asyncio.Event) -> None:
    from jeeves.serving import serve_app
    from jeeves_shared.runtime.lifecycle import ShutdownSettings

    module_name, settings_path, bind_field = SERVICES[args.service]
    settings = _load(settings_path)()
    grace = ShutdownSettings().shutdown_grace
    create_app = importlib.import_module(module_name).create_app
    await serve_app(create_app(settings), getattr(settings, bind_field), stop, grace=grace)


async def _db(args: argparse.Namespace, stop: asyncio.Event) -> None:
    from dataservice.migrate import upgrade
    from dataservice.settings import DataServiceSettings

    await upgrade(DataServiceSettings().database_url.get_secret_value(), args.revision)


async def _dlq(args: argparse.Namespace, stop: asyncio.Event) -> int:
    from jeeves.dlq import list_command, replay_command

    url = JeevesSettings().amqp_url.get_secret_value()
    if args.action == "list":
        return await list_command(url, limit=args.limit, as_json=args.json)
    return await replay_command(url, ids=args.ids)


async def _worker(args: argparse.Namespace, stop: asyncio.Event) -> None:
    from workers.runner import run_worker
    from workers.settings import WorkerSettings

    await run_worker(args.kind, WorkerSettings(), stop)


def _tokendealer(args: argparse.Namespace) -> int:
    """Offline key and secret chores; prints results for the operator."""
    from tokendealer.clients import generate_secret, hash_secret
    from tokendealer.keys import write_key_file

    if args.action == "new-key":
        try:
            kid = write_key_file(args.path)
        except FileExistsError:
            print(f"jeeves: {args.path} exists; not overwriting it", file=sys.stderr)
            return 2
        print(f"wrote {args.path} (kid {kid}); add it to JEEVES_TOKENDEALER_KEY_FILES")
        return 0
    secret = sys.stdin.readline().strip() if not sys.stdin.isatty() else ""
    if not secret:
        secret = generate_secret()
        print(f"secret: {secret}")
    print(f"hash:   {hash_secret(secret)}")
    return 0


def _load(path: str) -> Callable[[], Any]:
    module, _, name = path.partition(":")
    loaded: Callable[[], Any] = getattr(importlib.import_module(module), name)
    return loaded


_RUNNERS: dict[
    str, Callable[[argparse.Namespace, asyncio.Event], Coroutine[Any, Any, int | None]]
] = {
    "dev": _dev,
    "up": _up,
    "serve": _serve,
    "worker": _worker,
    "db": _db,
    "dlq": _dlq,
}
