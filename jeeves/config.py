"""``jeeves config check``: every process's settings, checked without starting anything.

``jeeves up`` runs the same checks before it starts a single process, so that an operator
reads everything missing or wrong in one message rather than one process failing at a time.
A check builds what the process would build at start from files and settings alone (keys,
clients, ciphers), and connects to nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings

from jeeves_shared.runtime.lifecycle import ShutdownSettings
from jeeves_shared.runtime.settings import SettingsError, describe_errors

Process = tuple[str, ...]
S = TypeVar("S", bound=BaseSettings)

#: Names ``jeeves config check`` accepts, and the process each stands for.
SERVICE_PROCESSES = ("frontend", "dataservice", "tokendealer")


@dataclass(frozen=True)
class WorkerNeeds:
    """What a worker kind needs configured: a TokenDealer client (with scopes), a bot token."""

    scopes: tuple[str, ...]
    slack: bool


def worker_needs(kind: str) -> WorkerNeeds:
    """What ``jeeves worker <kind>`` needs, read from the worker runner's own declarations."""
    from jeeves_shared.dataclient import SCHEDULER_SCOPES
    from workers.runner import KINDS, SCHEDULER

    if kind == SCHEDULER:
        return WorkerNeeds(scopes=SCHEDULER_SCOPES, slack=False)
    declared = KINDS[kind]
    scopes = declared.scopes if "data" in declared.needs else ()
    return WorkerNeeds(scopes=tuple(scopes), slack="slack" in declared.needs)


def worker_scopes(kinds: Iterable[str]) -> list[str]:
    """Every Data Service scope the workers' one TokenDealer client needs, sorted."""
    return sorted({scope for kind in kinds for scope in worker_needs(kind).scopes})


def processes_named(names: Sequence[str]) -> tuple[Process, ...]:
    """The processes ``jeeves config check NAME...`` means; all of ``jeeves up``'s if none
    (:func:`jeeves.supervisor.up_processes`).

    Raises :class:`KeyError` with an unknown name.
    """
    from jeeves.cli import WORKER_KINDS
    from jeeves.supervisor import up_processes

    if not names:
        return up_processes()
    chosen: list[Process] = []
    for name in names:
        if name in SERVICE_PROCESSES:
            chosen.append(("serve", name))
        elif name in WORKER_KINDS:
            chosen.append(("worker", name))
        else:
            raise KeyError(name)
    return tuple(chosen)


def check_processes(processes: Iterable[Process]) -> list[str]:
    """Everything missing or wrong for ``processes``, one line per problem.

    A problem several processes share is listed once, followed by the processes it stops.
    An empty list means every process would start.
    """
    processes = tuple(processes)
    found: dict[str, list[str]] = {}
    for process in processes:
        for problem in check_process(process):
            found.setdefault(problem, []).append(" ".join(process))
    for problem in _check_worker_client(processes):
        found.setdefault(problem, []).append("workers")
    return [f"{problem} [{', '.join(names)}]" for problem, names in found.items()]


def check_process(process: Process) -> list[str]:
    """What would stop ``jeeves <process>`` at start (``("serve", "frontend")``, ...)."""
    command, name = process[0], process[-1]
    if command == "serve":
        return _SERVICE_CHECKS[name]()
    return _check_worker(name)


def _read(settings_class: type[S]) -> tuple[S | None, list[str]]:
    """Read ``settings_class`` from the environment: the settings and the problems found.

    When some fields are invalid they are reported, then replaced by stand-ins so that the
    process's other checks still run and the operator sees every problem at once; the
    settings are None only when even that fails.
    """
    try:
        return settings_class(), []
    except ValidationError as exc:
        problems = describe_errors(exc)
        failed = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
    fields = settings_class.model_fields
    stand_ins = {name: fields[name].default for name in failed if name in fields}
    stand_ins |= {name: value for name, value in _STAND_INS.items() if name in fields}
    try:
        return settings_class(**stand_ins), problems
    except ValidationError:
        return None, problems


def _run_checks(checks: Iterable[Callable[[], Any]]) -> list[str]:
    """Run each check; every :class:`SettingsError` becomes one problem, and the rest still run."""
    problems = []
    for check in checks:
        try:
            check()
        except SettingsError as exc:
            problems.append(str(exc))
    return problems


def _check_common() -> list[str]:
    return _read(ShutdownSettings)[1]


def _check_frontend() -> list[str]:
    from jeeves_frontend.settings import FrontendSettings

    settings, problems = _read(FrontendSettings)
    if settings is not None:
        problems += _run_checks(
            [
                settings.signing_secret,
                settings.secret_keys,
                settings.cookie_secure,
                settings.check_installs,
            ]
        )
    return problems + _check_common()


def _check_dataservice() -> list[str]:
    from dataservice.crypto import TokenCipher
    from dataservice.settings import DataServiceSettings

    settings, problems = _read(DataServiceSettings)
    if settings is not None:
        problems += _run_checks([lambda: TokenCipher.from_keys(settings.encryption_keys())])
    return problems + _check_common()


def _check_tokendealer() -> list[str]:
    from tokendealer.clients import load_clients
    from tokendealer.keys import load_key_ring
    from tokendealer.settings import TokenDealerSettings

    settings, problems = _read(TokenDealerSettings)
    if settings is not None:
        problems += _run_checks([lambda: load_key_ring(settings), lambda: load_clients(settings)])
    return problems + _check_common()


def _check_worker(kind: str) -> list[str]:
    from workers.settings import WorkerSettings

    settings, problems = _read(WorkerSettings)
    if settings is None:
        return problems
    needs = worker_needs(kind)
    checks: list[Callable[[], Any]] = []
    if needs.scopes:
        checks.append(lambda: settings.require_secret("worker_client_secret"))
    if needs.slack:
        checks.append(lambda: settings.require_secret("slack_bot_token"))
    return problems + _run_checks(checks)


def _check_worker_client(processes: Sequence[Process]) -> list[str]:
    """With the TokenDealer and workers configured together, the workers' client must match.

    A secret that does not match its hash, or a client without the scopes the workers ask
    for, is what leaves workers unable to get a token: found here before anything starts.
    """
    from tokendealer.clients import load_clients, verify_secret
    from tokendealer.settings import TokenDealerSettings
    from workers.settings import WorkerSettings

    kinds = [process[-1] for process in processes if process[0] == "worker"]
    wanted = worker_scopes(kinds)
    if ("serve", "tokendealer") not in processes or not wanted:
        return []
    try:
        workers, dealer = WorkerSettings(), TokenDealerSettings()
        secret = workers.require_secret("worker_client_secret")
        client = load_clients(dealer).get(workers.worker_client_id)
    except (ValidationError, SettingsError):
        return []  # already reported by the processes' own checks
    if client is None:
        return [f"JEEVES_WORKER_CLIENT_ID {workers.worker_client_id!r} is not a TokenDealer client"]
    problems = []
    if not verify_secret(secret, client.secret_hash):
        problems.append(
            f"JEEVES_WORKER_CLIENT_SECRET does not match the hash of client {client.id!r} "
            "in the TokenDealer's clients"
        )
    missing = sorted(set(wanted) - client.scopes)
    if missing or "dataservice" not in client.audiences:
        problems.append(
            f"TokenDealer client {client.id!r} needs audience 'dataservice' and scopes "
            f"{', '.join(wanted)} (missing: {', '.join(missing) or 'the audience'})"
        )
    return problems


#: Values for settings without a default, so that the other checks can run without them.
_STAND_INS = {"database_url": "sqlite+aiosqlite://"}

_SERVICE_CHECKS: dict[str, Callable[[], list[str]]] = {
    "frontend": _check_frontend,
    "dataservice": _check_dataservice,
    "tokendealer": _check_tokendealer,
}
