"""Typed settings read from ``JEEVES_*`` environment variables.

Each service has one settings class (a subclass of :class:`JeevesSettings`) that is read once at
start and passed into its app factory. Secrets are :class:`~pydantic.SecretStr` so they never show
up in logs or reprs; outside dev mode a missing or placeholder secret refuses to start.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Values that mean "nobody configured this yet". Refused outside dev mode.
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "xoxb-change-me"})


class Environment(StrEnum):
    """Where a process runs; only ``dev`` accepts placeholder secrets."""

    DEV = "dev"
    PROD = "prod"


class SettingsError(ValueError):
    """A setting is missing or unusable; the message names the environment variable."""


class JeevesSettings(BaseSettings):
    """Settings every Jeeves process has."""

    model_config = SettingsConfigDict(env_prefix="JEEVES_", extra="ignore", frozen=True)

    env: Environment = Environment.PROD
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"
    #: RabbitMQ URL. A secret because it usually carries a password.
    amqp_url: SecretStr = SecretStr("amqp://guest:guest@127.0.0.1:5672/")

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
            env_name = f"JEEVES_{field.upper()}"
            raise SettingsError(f"{env_name} is not set (or is a placeholder); refusing to start")
        return raw


def is_placeholder(secret: str) -> bool:
    """True for an empty or well-known placeholder secret."""
    return secret.strip().lower() in PLACEHOLDER_SECRETS


def parse_bind(bind: str) -> tuple[str, int]:
    """Split ``host:port`` (``[::1]:port`` for IPv6) into its parts."""
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit():
        raise SettingsError(f"bind address {bind!r} must look like host:port")
    return host.strip("[]") or "0.0.0.0", int(port)  # noqa: S104 - an empty host means all
