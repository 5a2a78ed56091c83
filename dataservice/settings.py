"""Settings of the Data Service, read once from ``JEEVES_*`` environment variables."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from pydantic import SecretStr, field_validator, model_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from jeeves_shared.runtime.settings import (
    Environment,
    JeevesSettings,
    SettingsError,
    is_placeholder,
)

#: Placeholder for the at-rest encryption key(s); refused outside dev mode.
PLACEHOLDER_KEY = "change-me"
#: What a database URL should look like, for error messages.
EXAMPLE_DATABASE_URL = "postgresql+asyncpg://user:password@host:5432/jeeves"
#: The drivers Jeeves installs and tests (PostgreSQL in production, SQLite for dev and tests).
SUPPORTED_DRIVERS = ("postgresql+asyncpg", "sqlite+aiosqlite")


def dev_database_url() -> str:
    """``sqlite+aiosqlite:///<data folder>/jeeves/jeeves-dev.db``, the folder created if missing.

    The database ``jeeves dev`` uses when ``JEEVES_DATABASE_URL`` is unset. Only dev mode gets
    a default: a production process without a database URL refuses to start rather than write
    to a stray local file.

    The data folder is ``$XDG_DATA_HOME``, else ``~/.local/share`` (the XDG base directory
    specification): writable by whoever runs ``jeeves dev``, wherever they start it from (the
    container image's non-root user's working directory is not theirs to write). If the folder
    cannot be created, SQLite reports it when the Data Service opens the database.
    """
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    folder = base / "jeeves"
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{folder / 'jeeves-dev.db'}"


class DataServiceSettings(JeevesSettings):
    """Everything the Data Service needs to start.

    Environment variables: ``JEEVES_DATABASE_URL`` (required outside dev mode),
    ``JEEVES_DATASERVICE_BIND``, ``JEEVES_DATASERVICE_ENCRYPTION_KEYS``,
    ``JEEVES_DATASERVICE_JWKS_URL`` (default: the JWKS of ``JEEVES_TOKENDEALER_BIND``),
    ``JEEVES_DATASERVICE_JWT_ISSUER``, ``JEEVES_DATASERVICE_JWT_AUDIENCE``,
    ``JEEVES_DATASERVICE_DB_POOL_SIZE``, ``JEEVES_DATASERVICE_GZIP_MIN_BYTES``,
    ``JEEVES_SLACK_API_URL``, ``JEEVES_SLACK_CLIENT_ID``, ``JEEVES_SLACK_CLIENT_SECRET``.
    Raises :class:`pydantic.ValidationError` when the database URL is missing (outside dev
    mode), malformed, or names a driver that is not asynchronous.
    """

    database_url: SecretStr
    """SQLAlchemy URL (fixed contract). SQLite via aiosqlite, or ``postgresql+asyncpg://``."""
    dataservice_encryption_keys: SecretStr = SecretStr(PLACEHOLDER_KEY)
    """Comma-separated Fernet keys, newest first: the first encrypts bot tokens, all decrypt."""
    dataservice_jwks_url: str = ""
    """Where the TokenDealer publishes its public keys; empty: from ``JEEVES_TOKENDEALER_BIND``."""
    dataservice_jwt_issuer: str = "jeeves-tokendealer"
    """The ``iss`` tokens must carry (the TokenDealer's JEEVES_TOKENDEALER_ISSUER)."""
    dataservice_jwt_audience: str = "dataservice"
    """The ``aud`` tokens must carry."""
    dataservice_db_pool_size: int = 10
    """Connections kept open per process (PostgreSQL); SQLite uses its own pool."""
    dataservice_gzip_min_bytes: int = 1024
    """Responses at least this large are gzipped when the client accepts it."""
    slack_api_url: str = "https://slack.com/api/"
    """Slack Web API base URL (fixed contract; tests point it at a fake): token refreshes."""
    slack_client_id: str = ""
    """The Slack app's client id ("Basic Information"): refreshes rotating bot tokens."""
    slack_client_secret: SecretStr = SecretStr("")
    """The Slack app's client secret; without it (and the id) expiring tokens cannot be
    refreshed (non-rotating tokens and one-workspace mode need neither)."""

    derived_urls = (("dataservice_jwks_url", "tokendealer_bind", "/.well-known/jwks.json"),)

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if not str(data.get("database_url") or "").strip():
            if str(data.get("env", Environment.PROD)) != Environment.DEV:
                raise SettingsError(
                    "JEEVES_DATABASE_URL is not set; refusing to start "
                    f"(write {EXAMPLE_DATABASE_URL}; only jeeves dev has a default)"
                )
            data["database_url"] = dev_database_url()
        return data

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, url: SecretStr) -> SecretStr:
        check_database_url(url.get_secret_value())
        return url

    def slack_client_credentials(self) -> tuple[str, str] | None:
        """The Slack app's client id and secret, or None when either is unset."""
        secret = self.slack_client_secret.get_secret_value().strip()
        if not self.slack_client_id.strip() or is_placeholder(secret):
            return None
        return self.slack_client_id.strip(), secret

    def encryption_keys(self) -> list[str]:
        """Return the Fernet keys, newest first; placeholders are refused outside dev mode."""
        raw = self.require_secret("dataservice_encryption_keys")
        return [key.strip() for key in raw.split(",") if key.strip()]


def check_database_url(url: str) -> None:
    """Raise :class:`SettingsError` unless ``url`` is a SQLAlchemy URL with an async driver.

    ``postgresql://`` alone names the synchronous psycopg2 driver, which the Data Service
    cannot use; the message says what to write. The URL itself is never repeated (it may hold a
    password).
    """
    try:
        parsed = make_url(url.strip())
        dialect = parsed.get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError):
        # The library's message repeats the URL, password included: say it in our words.
        raise SettingsError(f"not a usable database URL; write {EXAMPLE_DATABASE_URL}") from None
    if not getattr(dialect, "is_async", False):
        raise SettingsError(
            f"{parsed.drivername}:// names a driver that is not async; "
            "write postgresql+asyncpg://... (or sqlite+aiosqlite:///... for a file)"
        )
    if parsed.drivername not in SUPPORTED_DRIVERS:
        # SQLAlchemy knows more async dialects (aiomysql, ...) than Jeeves installs and tests.
        raise SettingsError(
            f"{parsed.drivername}:// is not a database Jeeves runs on; "
            "write postgresql+asyncpg://... (or sqlite+aiosqlite:///... for a file)"
        )
    if parsed.drivername == "postgresql+asyncpg" and not (parsed.host and parsed.database):
        raise SettingsError(
            f"a PostgreSQL URL needs a host and a database: write {EXAMPLE_DATABASE_URL}"
        )
