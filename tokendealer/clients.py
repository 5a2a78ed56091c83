"""Registered clients and their secrets.

Secrets are stored as scrypt hashes in PHC string format
(``$scrypt$ln=14,r=8,p=1$<salt>$<hash>``, unpadded base64) and checked in constant time, off the
event loop. Clients come from a JSON/TOML file or a JSON environment variable::

    {"clients": [{"id": "worker", "secret_hash": "$scrypt$...",
                  "audiences": ["dataservice"], "scopes": ["users:read", "users:write"]}]}
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import secrets
import tomllib
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from jeeves_shared.dataclient.scopes import DATASERVICE_SCOPES
from jeeves_shared.runtime.settings import SettingsError
from tokendealer.settings import TokenDealerSettings

#: scrypt cost: N = 2**14, r = 8, p = 1 (about 16 MiB and 50-80 ms per check here). Client
#: secrets are long random strings, so this guards against offline guessing without turning
#: every token request into a CPU burn.
SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P = 14, 8, 1
SALT_BYTES, HASH_BYTES = 16, 32
_PHC = re.compile(
    r"\$scrypt\$ln=(?P<ln>\d{1,2}),r=(?P<r>\d{1,2}),p=(?P<p>\d)"
    r"\$(?P<salt>[A-Za-z0-9+/]{16,})\$(?P<hash>[A-Za-z0-9+/]{32,})"
)
_MAX_LOG_N = 20

#: The client ``jeeves dev`` configures when none is: every audience and scope the services use.
DEV_CLIENT_ID = "jeeves-dev"
DEV_CLIENT_SECRET = "jeeves-dev-secret"  # noqa: S105 - dev mode only, refused otherwise
DEV_AUDIENCES = ("dataservice",)
DEV_SCOPES = DATASERVICE_SCOPES


class ClientConfig(BaseModel):
    """One registered client: who it is, its secret's hash, what it may ask for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")
    secret_hash: str = Field(repr=False)
    audiences: frozenset[str] = Field(min_length=1)
    scopes: frozenset[str] = frozenset()

    @field_validator("secret_hash")
    @classmethod
    def _check_hash(cls, value: str) -> str:
        _parse_hash(value)
        return value


class ClientRegistry:
    """The configured clients, by id."""

    def __init__(self, clients: Iterable[ClientConfig]) -> None:
        self._clients: dict[str, ClientConfig] = {}
        for client in clients:
            if client.id in self._clients:
                raise SettingsError(f"client {client.id!r} is configured twice")
            self._clients[client.id] = client

    def get(self, client_id: str) -> ClientConfig | None:
        """The client with this id, or None."""
        return self._clients.get(client_id)

    def __len__(self) -> int:
        return len(self._clients)


def generate_secret() -> str:
    """A new random client secret (43 URL-safe characters, 256 bits)."""
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """Hash a client secret for the clients file (``jeeves tokendealer hash-secret``)."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(secret, salt, SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P)
    params = f"ln={SCRYPT_LOG_N},r={SCRYPT_R},p={SCRYPT_P}"
    return f"$scrypt${params}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, hashed: str) -> bool:
    """True if ``secret`` matches ``hashed``; the comparison takes constant time. Blocking."""
    log_n, r, p, salt, expected = _parse_hash(hashed)
    return hmac.compare_digest(_scrypt(secret, salt, log_n, r, p, len(expected)), expected)


async def check_secret(secret: str, client: ClientConfig | None) -> bool:
    """Check ``secret`` for ``client`` in a worker thread.

    An unknown client (``None``) costs the same KDF run against a dummy hash, so response
    times do not tell which client ids exist.
    """
    return await asyncio.to_thread(_verify_client_secret, secret, client)


def load_clients(settings: TokenDealerSettings) -> ClientRegistry:
    """The clients from settings; a dev client set in dev mode when none is configured."""
    file, inline = settings.tokendealer_clients_file, settings.tokendealer_clients
    if file is not None and inline is not None:
        raise SettingsError("set JEEVES_TOKENDEALER_CLIENTS_FILE or JEEVES_TOKENDEALER_CLIENTS")
    if file is not None:
        return parse_clients(_read_file(file), source=str(file))
    if inline is not None:
        return parse_clients(_parse_json(inline.get_secret_value(), "JEEVES_TOKENDEALER_CLIENTS"))
    if settings.is_dev:
        return dev_clients()
    raise SettingsError("no clients: set JEEVES_TOKENDEALER_CLIENTS_FILE; refusing to start")


def parse_clients(
    document: Mapping[str, Any], *, source: str = "JEEVES_TOKENDEALER_CLIENTS"
) -> ClientRegistry:
    """Validate ``{"clients": [...]}``; raise :class:`SettingsError` naming ``source``."""
    entries = document.get("clients")
    if not isinstance(entries, list) or not entries:
        raise SettingsError(f"{source}: expected a non-empty 'clients' list")
    try:
        return ClientRegistry(ClientConfig.model_validate(entry) for entry in entries)
    except ValidationError as exc:
        raise SettingsError(f"{source}: invalid client: {exc}") from exc


def dev_clients() -> ClientRegistry:
    """The single client ``jeeves dev`` uses (:data:`DEV_CLIENT_ID` / :data:`DEV_CLIENT_SECRET`)."""
    client = ClientConfig(
        id=DEV_CLIENT_ID,
        secret_hash=hash_secret(DEV_CLIENT_SECRET),
        audiences=frozenset(DEV_AUDIENCES),
        scopes=frozenset(DEV_SCOPES),
    )
    return ClientRegistry([client])


def _verify_client_secret(secret: str, client: ClientConfig | None) -> bool:
    if client is None:
        verify_secret(secret, _dummy_hash())
        return False
    return verify_secret(secret, client.secret_hash)


def _read_file(path: Path) -> Mapping[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"cannot read clients file {path}: {exc}") from exc
    if path.suffix == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: not valid TOML: {exc}") from exc
    return _parse_json(text, str(path))


def _parse_json(text: str, source: str) -> Mapping[str, Any]:
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise SettingsError(f"{source}: not valid JSON: {exc}") from exc
    if isinstance(document, list):  # a bare list of clients is fine too
        document = {"clients": document}
    if not isinstance(document, dict):
        raise SettingsError(f"{source}: expected a JSON object")
    return document


def _parse_hash(hashed: str) -> tuple[int, int, int, bytes, bytes]:
    match = _PHC.fullmatch(hashed)
    if match is None:
        raise ValueError("secret_hash must be a $scrypt$ hash (use hash_secret)")
    log_n, r, p = int(match["ln"]), int(match["r"]), int(match["p"])
    if not (10 <= log_n <= _MAX_LOG_N and 1 <= r <= 32 and 1 <= p <= 4):
        raise ValueError("secret_hash has out-of-range scrypt parameters")
    return log_n, r, p, _unb64(match["salt"]), _unb64(match["hash"])


def _scrypt(
    secret: str, salt: bytes, log_n: int, r: int, p: int, length: int = HASH_BYTES
) -> bytes:
    maxmem = 256 * r * (2**log_n) + 1024 * 1024  # scrypt needs 128 * r * N bytes
    return hashlib.scrypt(
        secret.encode(), salt=salt, n=2**log_n, r=r, p=p, maxmem=maxmem, dklen=length
    )


@cache
def _dummy_hash() -> str:
    return hash_secret(secrets.token_urlsafe(16))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))
