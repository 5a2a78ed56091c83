"""The jeeves command line: run Jeeves, check its configuration, operate it."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from jeeves_shared.runtime.logs import configure_logging
from jeeves_shared.runtime.settings import JeevesSettings, SettingsError, describe_errors

#: ``jeeves serve <name>``: the module with ``create_app``, its settings class and bind field.
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

DESCRIPTION = """\
Jeeves, a Slack assistant built as async Python microservices.

Every setting is an environment variable (JEEVES_*); --env-file FILE reads more
from a file (variables already set win). Exit codes: 0 done, 1 failed,
2 bad configuration (the message names the variable to change).
"""

COMMANDS_EPILOG = """\
Try it:  jeeves dev                      # then open http://127.0.0.1:8000/

Production in three steps:
  jeeves init --dir /etc/jeeves          # then fill in the values marked SUPPLY
  jeeves --env-file /etc/jeeves/jeeves.env config check
  jeeves --env-file /etc/jeeves/jeeves.env up
"""

UP_DESCRIPTION = """\
Run every service and worker kind as its own process on this machine: the
TokenDealer, the Data Service, the front door, the help, weather, user,
reminders and Slack poster workers and the scheduler.

It needs RabbitMQ (JEEVES_AMQP_URL), a database (JEEVES_DATABASE_URL), the
Slack app's signing secret and bot token, and the secrets jeeves init writes
(TokenDealer key and clients, the workers' client secret, the encryption key).
Every process's settings are checked before anything starts; everything
missing is listed at once (exit code 2). Then the database is migrated and
the processes start. A process that crashes is restarted with a growing delay;
one that exits with code 2 (bad configuration) is not, and jeeves up stops.
SIGTERM or Ctrl-C drains and stops every process.
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``jeeves``."""
    env_file = argparse.ArgumentParser(add_help=False)
    env_file.add_argument(
        "--env-file",
        type=Path,
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="read settings from this file too (KEY=value lines; the environment wins)",
    )
    plain = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="jeeves", description=DESCRIPTION, epilog=COMMANDS_EPILOG, formatter_class=plain
    )
    parser.add_argument("--env-file", type=Path, default=None, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, description: str = "") -> argparse.ArgumentParser:
        return commands.add_parser(
            name,
            help=summary,
            description=description or summary,
            formatter_class=plain,
            parents=[env_file],
        )

    command("dev", "everything in one process, with a local chat page")
    init = command(
        "init",
        "write the production secrets and an env file to fill in",
        "Write what a production jeeves up needs that the operator does not supply:\n"
        "the TokenDealer signing key, the workers' client (secret and hashed clients\n"
        "file with the scopes the workers need), the encryption key, and jeeves.env,\n"
        "listing every setting with its default. Fill in the lines marked SUPPLY.\n"
        "Existing files are never overwritten; running it again is safe.",
    )
    init.add_argument(
        "--dir", type=Path, default=Path("jeeves-config"), help="default: %(default)s"
    )
    config = command("config", "check the configuration")
    config_commands = config.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = config_commands.add_parser(
        "check",
        help="check settings without starting anything",
        description="Check the settings of the given processes (all of jeeves up by default)\n"
        "and list everything missing or wrong; exit code 2 if anything is.",
        formatter_class=plain,
        parents=[env_file],
    )
    check.add_argument(
        "processes",
        nargs="*",
        metavar="PROCESS",
        help="frontend, dataservice, tokendealer or a worker kind (default: all)",
    )
    command("up", "every service and worker as its own process (RabbitMQ)", UP_DESCRIPTION)
    serve = command("serve", "run one HTTP service under Hypercorn")
    serve.add_argument("service", choices=sorted(SERVICES))
    worker = command("worker", "run one worker kind")
    worker.add_argument("kind", choices=WORKER_KINDS)
    database = command("db", "the Data Service's database (JEEVES_DATABASE_URL)")
    database_commands = database.add_subparsers(dest="action", required=True, metavar="ACTION")
    migrate = database_commands.add_parser(
        "upgrade",
        help="apply migrations",
        description="Apply the Data Service's Alembic migrations to JEEVES_DATABASE_URL.",
        parents=[env_file],
    )
    migrate.add_argument(
        "revision", nargs="?", default="head", help="Alembic revision to reach (default: head)"
    )
    dlq = command("dlq", "the dead-letter queue (JEEVES_AMQP_URL)")
    dlq_commands = dlq.add_subparsers(dest="action", required=True, metavar="ACTION")
    dlq_list = dlq_commands.add_parser(
        "list",
        help="show dead letters and why (takes nothing)",
        description="Show the messages in the dead-letter queue and why each failed; every one "
        "stays in the queue.",
        parents=[env_file],
    )
    dlq_list.add_argument("--limit", type=int, default=100, help="show at most this many")
    dlq_list.add_argument("--json", action="store_true", help="one JSON object per line")
    replay = dlq_commands.add_parser(
        "replay",
        help="send dead letters back to their queues",
        description="Send dead letters back to the queue each failed in, with a fresh attempt "
        "count (all of them, or those given with --id).",
        parents=[env_file],
    )
    replay.add_argument(
        "--id", dest="ids", action="append", default=[], help="only this message id (repeatable)"
    )
    slack = command("slack", "the Slack app")
    slack_commands = slack.add_subparsers(dest="action", required=True, metavar="ACTION")
    manifest = slack_commands.add_parser(
        "manifest",
        help="print the Slack app manifest (YAML) for a Jeeves at --url",
        description="Print the Slack app manifest (YAML) of a Jeeves reached at --url: its\n"
        "events, slash command, scopes and redirect URLs. Paste it at\n"
        "https://api.slack.com/apps -> Create New App -> From an app manifest.",
        formatter_class=plain,
    )
    manifest.add_argument(
        "--url", required=True, help="where Slack reaches Jeeves: https://<host>, no path"
    )
    manifest.add_argument("--name", default="Jeeves", help="the app's name (default: Jeeves)")
    manifest.add_argument(
        "--token-rotation",
        action="store_true",
        help="turn on token rotation (bot tokens expire after 12 hours; Slack cannot undo it)",
    )
    dealer = command("tokendealer", "TokenDealer keys and client secrets")
    dealer_commands = dealer.add_subparsers(dest="action", required=True, metavar="ACTION")
    new_key = dealer_commands.add_parser(
        "new-key",
        help="write a new signing key (PEM, mode 0600)",
        description="Write a new RSA signing key for the TokenDealer "
        "(JEEVES_TOKENDEALER_KEY_FILES).",
    )
    new_key.add_argument("path", type=Path, help="the PEM file to write (never overwritten)")
    dealer_commands.add_parser(
        "hash-secret", help="hash a client secret read from stdin (a new one if stdin is empty)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``jeeves`` command; returns the exit code.

    Once a command that serves has stopped, the process ignores SIGTERM: it is exiting.
    """
    args = build_parser().parse_args(argv)
    if args.env_file is not None:
        try:
            load_env_file(args.env_file)
        except OSError as exc:
            _complain(f"cannot read {args.env_file}: {exc.strerror}")
            return 2
    if args.command in _OFFLINE:
        return _OFFLINE[args.command](args)
    try:
        base = JeevesSettings()
    except ValidationError as exc:
        return _refuse(describe_errors(exc))
    # A newcomer running ``jeeves dev`` reads logs, not log pipelines.
    explicit = "JEEVES_LOG_FORMAT" in os.environ
    fmt = "console" if args.command == "dev" and not explicit else base.log_format
    configure_logging(base.log_level, fmt)
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            return runner.run(_run(args))
    except ValidationError as exc:
        return _refuse(describe_errors(exc))
    except SettingsError as exc:
        return _refuse([str(exc)])
    except KeyboardInterrupt:
        return 130
    finally:
        # Stopped already: a second SIGTERM (a supervisor repeating itself) must not turn a
        # clean exit into death by signal while the interpreter winds down.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


def load_env_file(path: Path) -> None:
    """Add the ``KEY=value`` lines of ``path`` to the environment; variables already set win.

    Children (``jeeves up``'s processes) inherit them. Raises :class:`OSError` if unreadable.
    """
    from dotenv import dotenv_values

    with path.open(encoding="utf-8") as stream:
        values = dotenv_values(stream=stream)
    for name, value in values.items():
        if value is not None:
            os.environ.setdefault(name, value)


def _complain(problem: str) -> None:
    """Tell the operator ``jeeves: <problem>`` on stderr, in one ``write``.

    ``print(..., file=sys.stderr)`` makes two system calls (text, then newline), and
    ``jeeves up``'s children share one stderr: another process's log line could land between
    them. A single write of a short line to a pipe is atomic (POSIX, ``PIPE_BUF``).
    """
    sys.stderr.write(f"jeeves: {problem}\n")
    sys.stderr.flush()


def _refuse(problems: Sequence[str]) -> int:
    """Print each configuration problem on its own line; exit code 2."""
    for problem in problems:
        _complain(problem)
    return 2


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


async def _up(args: argparse.Namespace, stop: asyncio.Event) -> int:
    from jeeves.config import check_processes
    from jeeves.supervisor import PROCESSES, supervise

    problems = check_processes(PROCESSES)
    if problems:
        return _refuse(["jeeves up cannot start; fix these settings first:", *problems])
    return await supervise(stop)


async def _serve(args: argparse.Namespace, stop: asyncio.Event) -> None:
    from jeeves.serving import serve_app
    from jeeves_shared.runtime.lifecycle import ShutdownSettings
    from jeeves_shared.runtime.settings import env_name

    module_name, settings_path, bind_field = SERVICES[args.service]
    settings = _load(settings_path)()
    grace = ShutdownSettings().shutdown_grace
    create_app = importlib.import_module(module_name).create_app
    bind = getattr(settings, bind_field)
    await serve_app(create_app(settings), bind, stop, setting=env_name(bind_field), grace=grace)


async def _db(args: argparse.Namespace, stop: asyncio.Event) -> int:
    from sqlalchemy.exc import DBAPIError

    from dataservice.migrate import upgrade
    from dataservice.settings import DataServiceSettings
    from jeeves_shared.runtime.logs import redact_url

    url = DataServiceSettings().database_url.get_secret_value()
    try:
        await upgrade(url, args.revision)
    except (DBAPIError, OSError) as exc:
        # One line the operator can act on, instead of the driver's long traceback.
        cause = exc.orig if isinstance(exc, DBAPIError) else exc
        reason = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
        _complain(f"cannot use the database at {redact_url(url)} (JEEVES_DATABASE_URL): {reason}")
        return 1
    return 0


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
            _complain(f"{args.path} exists; not overwriting it")
            return 2
        except OSError as exc:
            _complain(f"cannot write {args.path}: {exc.strerror}")
            return 2
        print(f"wrote {args.path} (kid {kid}); add it to JEEVES_TOKENDEALER_KEY_FILES")
        return 0
    secret = sys.stdin.readline().strip() if not sys.stdin.isatty() else ""
    if not secret:
        secret = generate_secret()
        print(f"secret: {secret}")
    print(f"hash:   {hash_secret(secret)}")
    return 0


def _slack(args: argparse.Namespace) -> int:
    """Print the Slack app manifest."""
    from jeeves_frontend.manifest import build_manifest, to_yaml

    try:
        manifest = build_manifest(args.url, name=args.name, token_rotation=args.token_rotation)
    except ValueError as exc:
        _complain(f"--url: {exc}")
        return 2
    sys.stdout.write(to_yaml(manifest))
    return 0


def _init(args: argparse.Namespace) -> int:
    from jeeves.init import InitError, init

    try:
        for line in init(args.dir):
            print(line)
    except InitError as exc:
        _complain(str(exc))
        return 2
    return 0


def _config(args: argparse.Namespace) -> int:
    from jeeves.config import SERVICE_PROCESSES, check_processes, processes_named

    try:
        processes = processes_named(args.processes)
    except KeyError as exc:
        known = ", ".join([*SERVICE_PROCESSES, *WORKER_KINDS])
        _complain(f"no process {exc.args[0]!r}; choose from {known}")
        return 2
    configure_logging("WARNING", "console")  # the checks' own progress lines are noise here
    problems = check_processes(processes)
    if problems:
        return _refuse(problems)
    names = ", ".join(" ".join(process) for process in processes)
    print(f"configuration OK for {names}")
    return 0


def _load(path: str) -> Callable[[], Any]:
    module, _, name = path.partition(":")
    loaded: Callable[[], Any] = getattr(importlib.import_module(module), name)
    return loaded


#: Commands that start no event loop and configure no logging: they print for the operator.
_OFFLINE: dict[str, Callable[[argparse.Namespace], int]] = {
    "tokendealer": _tokendealer,
    "slack": _slack,
    "init": _init,
    "config": _config,
}

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
