"""``jeeves init``: the production configuration an operator does not have to invent.

It writes, into one folder (mode 0700):

* ``signing.pem`` — the TokenDealer's signing key (mode 0600);
* ``clients.json`` — the TokenDealer's clients: the workers' (the hash of its secret, audience
  ``dataservice`` and exactly the scopes the worker kinds ask for, read from the code:
  :func:`jeeves.config.worker_scopes`) and the front door's (``FRONTEND_SCOPES``);
* ``jeeves.env`` — every setting of every process with its default and a comment (mode 0600:
  it holds the generated secrets — the workers' and the front door's client secrets and the
  Fernet key that encrypts bot tokens at rest). What only the operator knows (Slack
  credentials, RabbitMQ and PostgreSQL URLs, the public URL) is marked ``SUPPLY``.

An existing file is never overwritten, so running it again is safe: it reports what it kept.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from enum import Enum
from pathlib import Path

from cryptography.fernet import Fernet
from dotenv import dotenv_values
from pydantic import SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

from jeeves_shared.runtime.settings import env_name

ENV_FILE = "jeeves.env"
KEY_FILE = "signing.pem"
CLIENTS_FILE = "clients.json"
#: The client every worker process authenticates as (``JEEVES_WORKER_CLIENT_ID``'s default).
WORKER_CLIENT_ID = "jeeves-worker"
#: The front door's client (``JEEVES_FRONTEND_CLIENT_ID``'s default).
FRONTEND_CLIENT_ID = "jeeves-frontend"

#: Settings only the operator can give, with what to write. Left empty, ``config check`` fails.
SUPPLY = {
    "amqp_url": "RabbitMQ: amqp://user:password@host:5672/vhost (see docs/running.md)",
    "database_url": "PostgreSQL: postgresql+asyncpg://user:password@host:5432/jeeves",
    "slack_signing_secret": "your Slack app's signing secret (Basic Information)",
    "slack_bot_token": "your Slack app's bot token, xoxb-... (OAuth & Permissions)",
}
#: Settings the operator may give; the default works without them.
SUPPLY_OPTIONAL = {
    "weather_api_key": "an OpenWeatherMap API key (without one, weather apologises)",
    "dashboard_url": "the public URL of the dashboard: https://<your host>/dashboard",
    "public_url": "where Slack and browsers reach Jeeves: https://<your host> (installs)",
    "slack_client_id": "your Slack app's client id (Basic Information): installs, rotating tokens",
    "slack_client_secret": "your Slack app's client secret (Basic Information), with the id",
}


class InitError(Exception):
    """The folder cannot be set up as asked; the message says why and what to do."""


def init(folder: Path) -> list[str]:
    """Write what is missing in ``folder``; return one line per file written or kept.

    Raises :class:`InitError` when ``clients.json`` exists without the ``jeeves.env`` that
    holds its secret (the secret cannot be recovered from its hash).
    """
    folder = folder.resolve()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise InitError(f"cannot create {folder}: {exc.strerror}") from None
    env_path, key_path, clients_path = folder / ENV_FILE, folder / KEY_FILE, folder / CLIENTS_FILE
    existing = {k: v for k, v in dotenv_values(env_path).items() if v} if env_path.exists() else {}
    if clients_path.exists() and env_name("worker_client_secret") not in existing:
        raise InitError(
            f"{clients_path} exists but no {ENV_FILE} holds its secret; "
            "move it away and run jeeves init again"
        )
    generated = {
        "env": "prod",
        "tokendealer_key_files": str(key_path),
        "tokendealer_clients_file": str(clients_path),
        "worker_client_id": WORKER_CLIENT_ID,
        "worker_client_secret": existing.get(env_name("worker_client_secret"))
        or _new_client_secret(),
        "frontend_client_id": FRONTEND_CLIENT_ID,
        "frontend_client_secret": existing.get(env_name("frontend_client_secret"))
        or _new_client_secret(),
        "dataservice_encryption_keys": existing.get(env_name("dataservice_encryption_keys"))
        or Fernet.generate_key().decode(),
        "dashboard_secret_keys": existing.get(env_name("dashboard_secret_keys"))
        or secrets.token_urlsafe(32),
    }
    return [
        _write_key(key_path),
        _write_new(
            clients_path,
            _clients_json(generated["worker_client_secret"], generated["frontend_client_secret"]),
        ),
        _write_new(env_path, env_file_text(generated)),
        f"next: fill in the lines marked SUPPLY in {env_path}, then run "
        f"jeeves --env-file {env_path} config check",
    ]


def env_file_text(generated: dict[str, str]) -> str:
    """The env file: every setting, with ``generated`` values set and SUPPLY lines marked."""
    lines = [
        "# Jeeves settings, written by jeeves init. Use it with: jeeves --env-file FILE up",
        "# (or export its lines). Variables already in the environment win over this file.",
        "# Lines marked SUPPLY need a value only you have; the others are defaults,",
        "# commented out: uncomment a line to change it. Keep this file secret (mode 0600).",
    ]
    listed: set[str] = set()
    for title, settings_class in _sections():
        lines += ["", f"# --- {title} ---"]
        for field, info in _fields(settings_class):
            # A setting two kinds of process read (JEEVES_SLACK_API_URL...) is listed once.
            if field not in listed:
                listed.add(field)
                lines += _setting_lines(field, info, generated)
    return "\n".join(lines) + "\n"


def _setting_lines(field: str, info: FieldInfo, generated: dict[str, str]) -> list[str]:
    name, about = env_name(field), (info.description or "").replace("``", "")
    if field in generated:
        return [f"# {about} (generated)", f"{name}={_quote(generated[field])}"]
    if field in SUPPLY:
        return [f"# SUPPLY: {SUPPLY[field]}", f"{name}="]
    if field in SUPPLY_OPTIONAL:
        return [f"# SUPPLY (optional): {SUPPLY_OPTIONAL[field]}", f"# {name}="]
    return [f"# {about}", f"# {name}={_quote(_default(info))}"]


def _sections() -> Iterator[tuple[str, type[BaseSettings]]]:
    from dataservice.settings import DataServiceSettings
    from jeeves_frontend.settings import FrontendSettings
    from jeeves_shared.runtime.lifecycle import ShutdownSettings
    from jeeves_shared.runtime.settings import JeevesSettings
    from tokendealer.settings import TokenDealerSettings
    from workers.settings import WorkerSettings

    yield "every process: addresses, broker, logs", JeevesSettings
    yield "HTTP services: shutdown", ShutdownSettings
    yield "front door (jeeves serve frontend)", FrontendSettings
    yield "Data Service (jeeves serve dataservice, jeeves db upgrade)", DataServiceSettings
    yield "TokenDealer (jeeves serve tokendealer)", TokenDealerSettings
    yield "workers (jeeves worker KIND)", WorkerSettings


def _fields(settings_class: type[BaseSettings]) -> Iterator[tuple[str, FieldInfo]]:
    """The fields ``settings_class`` adds to its bases (each setting is listed once)."""
    inherited = {
        name for base in settings_class.__mro__[1:] for name in getattr(base, "model_fields", {})
    }
    for name, info in settings_class.model_fields.items():
        if name not in inherited:
            yield name, info


def _default(info: FieldInfo) -> str:
    value = info.get_default(call_default_factory=True)
    if value is PydanticUndefined or value is None:
        return ""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


def _quote(value: str) -> str:
    """``value`` as a dotenv value: single-quoted when it has spaces, quotes or ``#``."""
    return f"'{value}'" if any(c in value for c in " \t#'\"") else value


def _new_client_secret() -> str:
    from tokendealer.clients import generate_secret

    return generate_secret()


def _clients_json(worker_secret: str, frontend_secret: str) -> str:
    from jeeves.cli import WORKER_KINDS
    from jeeves.config import worker_scopes
    from jeeves_shared.dataclient.scopes import FRONTEND_SCOPES
    from tokendealer.clients import hash_secret

    clients = [
        {
            "id": WORKER_CLIENT_ID,
            "secret_hash": hash_secret(worker_secret),
            "audiences": ["dataservice"],
            "scopes": worker_scopes(WORKER_KINDS),
        },
        {
            "id": FRONTEND_CLIENT_ID,
            "secret_hash": hash_secret(frontend_secret),
            "audiences": ["dataservice"],
            "scopes": list(FRONTEND_SCOPES),
        },
    ]
    return json.dumps({"clients": clients}, indent=2) + "\n"


def _write_key(path: Path) -> str:
    from tokendealer.keys import write_key_file

    try:
        kid = write_key_file(path)
    except FileExistsError:
        return f"kept  {path}"
    return f"wrote {path} (TokenDealer signing key, kid {kid})"


def _write_new(path: Path, text: str) -> str:
    """Create ``path`` with mode 0600 holding ``text``, unless it exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return f"kept  {path}"
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
    return f"wrote {path}"
