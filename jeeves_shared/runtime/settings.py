"""Typed settings read from ``JEEVES_*`` environment variables.

Each service has one settings class (a subclass of :class:`JeevesSettings`) that is read once at
start and passed into its app factory. Secrets are :class:`~pydantic.SecretStr` so they never show
up in logs or reprs; outside dev mode a missing or placeholder secret refuses to start.

Every address is checked when it is read: a bind must be ``host:port`` and the AMQP URL must be
an ``amqp://`` URL, so that a typo stops the process with one line naming the variable instead
of a hang or a retry loop. The three binds live here, in the base class, because the other
services' URLs default from them (:func:`url_of_bind`): moving a port is one change.
"""

from __future__ import annotations

import os
from enum import StrEnum
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Values that mean "nobody configured this yet". Refused outside dev mode.
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "xoxb-change-me"})
#: Prefix of every environment variable Jeeves reads.
ENV_PREFIX = "JEEVES_"
#: The default binds of the three HTTP services (``JEEVES_<SERVICE>_BIND``).
DEFAULT_FRONTEND_BIND = "127.0.0.1:8000"
DEFAULT_DATASERVICE_BIND = "127.0.0.1:8002"
DEFAULT_TOKENDEALER_BIND = "127.0.0.1:8003"
#: Hosts that mean "every interface": a client on the same machine connects to loopback.
_ANY_HOST = {"", "0.0.0.0", "::"}  # noqa: S104 - compared with, never bound


class Environment(StrEnum):
    """Where a process runs; only ``dev`` accepts placeholder secrets."""

    DEV = "dev"
    PROD = "prod"


class SettingsError(ValueError):
    """A setting is missing or unusable; the message names the environment variable."""


class CannotListen(SettingsError):
    """A server cannot listen on its bind: the port is taken, the host is not this machine's...

    ``str()`` is the one line an operator needs: ``cannot listen on 127.0.0.1:8000
    (JEEVES_FRONTEND_BIND): address already in use``.
    """

    def __init__(self, bind: str, setting: str, error: OSError) -> None:
        # aiohttp's message repeats the address; the errno's own text is the short reason.
        reason = (os.strerror(error.errno) if error.errno else str(error)).lower()
        named = f" ({setting})" if setting else ""
        super().__init__(f"cannot listen on {bind}{named}: {reason}")
        self.bind = bind
        self.setting = setting


class JeevesSettings(BaseSettings):
    """Settings every Jeeves process has."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="ignore", frozen=True, use_attribute_docstrings=True
    )

    env: Environment = Environment.PROD
    """``dev`` accepts missing secrets and has a local SQLite database (jeeves dev sets it)."""
    log_level: str = "INFO"
    """A standard level name: DEBUG, INFO, WARNING, ERROR."""
    log_format: Literal["json", "console"] = "json"
    """``json`` lines for log pipelines, or readable ``console`` lines."""
    amqp_url: SecretStr = SecretStr("amqp://guest:guest@127.0.0.1:5672/")
    """RabbitMQ URL (``amqp://user:password@host:5672/vhost``); a secret: it holds a password."""
    frontend_bind: str = DEFAULT_FRONTEND_BIND
    """``host:port`` the front door listens on; the dashboard URL defaults from it."""
    dataservice_bind: str = DEFAULT_DATASERVICE_BIND
    """``host:port`` the Data Service listens on; the workers' Data Service URL defaults from it."""
    tokendealer_bind: str = DEFAULT_TOKENDEALER_BIND
    """``host:port`` the TokenDealer listens on; the token and JWKS URLs default from it."""

    #: (URL setting, the bind it defaults from, path appended) for each URL a subclass derives
    #: from a service's bind when it is left empty, so that a port moves in one place.
    derived_urls: ClassVar[tuple[tuple[str, str, str], ...]] = ()

    @model_validator(mode="before")
    @classmethod
    def _urls_from_binds(cls, data: Any) -> Any:
        """Default each of :attr:`derived_urls` from its service's bind."""
        if not isinstance(data, dict) or not cls.derived_urls:
            return data
        data = dict(data)
        for url_field, bind_field, path in cls.derived_urls:
            fill_url_from_bind(data, url_field=url_field, bind_field=bind_field, path=path)
        return data

    @property
    def is_dev(self) -> bool:
        """True in the embedded ``jeeves dev`` mode."""
        return self.env is Environment.DEV

    def require_secret(self, field: str) -> str:
        """Return the secret ``field``; raise :class:`SettingsError` if it is a placeholder.

        In dev mode a placeholder is returned as is: the caller decides what to switch off.
        """
        value: SecretStr = getattr(self, field)
        raw = value.get_secret_value().strip()
        if is_placeholder(raw) and not self.is_dev:
            name = env_name(field)
            raise SettingsError(f"{name} is not set (or is a placeholder); refusing to start")
        return raw

    @field_validator("frontend_bind", "dataservice_bind", "tokendealer_bind")
    @classmethod
    def _check_bind(cls, bind: str) -> str:
        bind = bind.strip()
        parse_bind(bind)
        return bind

    @field_validator("amqp_url")
    @classmethod
    def _check_amqp_url(cls, url: SecretStr) -> SecretStr:
        check_amqp_url(url.get_secret_value())
        return url


def env_name(field: str) -> str:
    """The environment variable of settings field ``field`` (``amqp_url`` → ``JEEVES_AMQP_URL``)."""
    return f"{ENV_PREFIX}{field.upper()}"


def is_placeholder(secret: str) -> bool:
    """True for an empty or well-known placeholder secret."""
    return secret.strip().lower() in PLACEHOLDER_SECRETS


def parse_bind(bind: str) -> tuple[str, int]:
    """Split ``host:port`` (``[::1]:port`` for IPv6; ``:port`` for every interface).

    Raises :class:`SettingsError` for anything else, such as a port without its ``host:``.
    """
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit():
        raise SettingsError(f"{bind!r} must be host:port, such as 127.0.0.1:8000")
    if not 0 < int(port) < 65536:
        raise SettingsError(f"{bind!r}: the port must be from 1 to 65535")
    return host.strip("[]") or "0.0.0.0", int(port)  # noqa: S104 - an empty host means all


def url_of_bind(bind: str) -> str:
    """The ``http://`` URL a process on this machine reaches a service listening on ``bind``."""
    host, port = parse_bind(bind)
    if host in _ANY_HOST:
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def fill_url_from_bind(
    data: dict[str, Any], *, url_field: str, bind_field: str, path: str = ""
) -> None:
    """Set ``data[url_field]`` from ``data[bind_field]`` (or its default) when it is empty.

    For a settings class's ``mode="before"`` validator. An unusable bind is left for the bind's
    own check to report, once, naming its variable.
    """
    if str(data.get(url_field) or "").strip():
        return
    bind = str(data.get(bind_field) or JeevesSettings.model_fields[bind_field].default)
    try:
        data[url_field] = url_of_bind(bind.strip()) + path
    except SettingsError:
        return


def check_amqp_url(url: str) -> None:
    """Raise :class:`SettingsError` unless ``url`` is an ``amqp://`` or ``amqps://`` URL.

    The message never repeats the URL: it may hold a password.
    """
    example = "amqp://user:password@host:5672/vhost"
    if not url.strip():
        raise SettingsError(f"is not set; write {example}")
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises ValueError when the port is not a number
    except ValueError as exc:
        raise SettingsError(f"not a URL ({exc}); write {example}") from None
    if parts.scheme not in ("amqp", "amqps"):
        raise SettingsError(f"scheme {parts.scheme!r} is not amqp or amqps; write {example}")
    if not parts.hostname:
        raise SettingsError(f"no host; write {example}")
    if port == 0:
        raise SettingsError(f"port 0; write {example}")


def describe_errors(exc: ValidationError) -> list[str]:
    """One line per invalid setting in ``exc``, naming its environment variable.

    ``["JEEVES_FRONTEND_BIND: '8186' must be host:port, such as 127.0.0.1:8000"]``; the checks
    never repeat a secret's value, and pydantic's input echo is left out.
    """
    lines = []
    for error in exc.errors(include_url=False, include_input=False):
        message = error["msg"].removeprefix("Value error, ")
        field = ".".join(str(part) for part in error["loc"])
        lines.append(f"{env_name(field)}: {message}" if field else message)
    return lines
